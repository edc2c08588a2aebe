import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { cachePath, netArgs } from './git-cache.js';
import { remoteError } from './git-errors.js';
import type { GitSource } from './git-source.js';
import { checkCommitPaths, writeCommit } from './git-write.js';
import type { CommitRequest, CommitResult } from './source.js';

export type { CommitFile, CommitResult } from './source.js';

/** The id git uses for "no commit": the old value of a branch that does not exist yet. */
const noCommit = '0'.repeat(40);

/** Ref that holds the commit being pushed; never a branch, so fetches never fight over it. */
const outgoingRef = 'refs/dbops/outgoing';

function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'PushRejectedError' || code === 'GitPushError';
}

/** The remote's head of `branch`, or undefined when it has no such branch. */
async function remoteBranchHead(source: GitSource, branch: string, signal?: AbortSignal) {
  const r = source.remote;
  const refs = await git
    .listServerRefs({ ...netArgs(r, signal), prefix: `refs/heads/${branch}` })
    .catch((err: unknown) => {
      throw remoteError(err, { url: r.url, branch, secrets: r.secrets });
    });
  return refs.find((x) => x.ref === `refs/heads/${branch}`)?.oid;
}

/**
 * Commits `req.files` (paths relative to the source's sub-path) on top of `req.parent`
 * (default: the head of the source's latest fetch) and pushes it to `req.branch` (default: the
 * source's branch), never forced. Returns `{ ok: false, reason: 'conflict' }` when the branch
 * moved meanwhile: fetch, re-apply the intent on the new head, and call again. Another branch
 * that exists already is left alone and its head returned (`existed`). Throws source
 * DbopsErrors for network and auth errors.
 */
export async function commitAndPush(source: GitSource, req: CommitRequest): Promise<CommitResult> {
  checkCommitPaths(req.files, source.subPath);
  return source.exclusive(async () => {
    const r = source.remote;
    const watched = await source.branch(req.signal);
    const branch = req.branch ?? watched;
    if (branch !== watched) {
      const existing = await remoteBranchHead(source, branch, req.signal);
      if (existing) return { ok: true, revision: existing, existed: true };
    }
    const base = await baseCommit(source, watched, req.parent, req.signal);
    if (!base) return { ok: false, reason: 'conflict' };
    const { gitdir, parent } = base;
    const oid = await writeCommit(gitdir, source.subPath, parent, req);
    await git.writeRef({ fs, gitdir, ref: outgoingRef, value: oid, force: true });
    // The branch must still be where the intent was decided (a new review branch: absent).
    // Checked on the ref advertisement, before isomorphic-git lists the objects to send, which
    // walks the whole history when the remote tip is unknown here: the common case of a race.
    const expected = branch === watched ? parent : noCommit;
    let moved = false;
    try {
      const res = await git.push({
        ...netArgs(r, req.signal),
        gitdir,
        ref: outgoingRef,
        remoteRef: `refs/heads/${branch}`,
        signal: req.signal,
        onPrePush: ({ remoteRef }) => !(moved = remoteRef.oid !== expected),
      });
      if (!res.ok) return { ok: false, reason: 'conflict' };
    } catch (err) {
      if (moved || isConflict(err)) {
        r.log.info({ branch, parent }, 'push rejected: the branch moved; re-apply on the new head');
        return { ok: false, reason: 'conflict' };
      }
      throw remoteError(err, { url: r.url, branch, secrets: r.secrets });
    }
    if (branch === watched) {
      const ref = `refs/remotes/origin/${branch}`;
      await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
      source.noteHead(oid);
    }
    r.log.info({ branch, revision: oid, files: req.files.length }, 'pushed commit');
    return { ok: true, revision: oid };
  });
}

async function hasCommit(gitdir: string, oid: string): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid });
    return true;
  } catch {
    return false;
  }
}

/**
 * The cache and the commit to build on: `parent`, else the latest fetched head. Syncs only
 * when that commit is not in the cache (nothing fetched yet); undefined when an explicit
 * parent is not the remote head any more, which is a conflict for the caller.
 */
async function baseCommit(
  source: GitSource,
  branch: string,
  parent?: string,
  signal?: AbortSignal,
) {
  const gitdir = cachePath(source.remote.cacheDir, source.remote.url, branch);
  const want = parent ?? source.lastHead();
  if (want && (await hasCommit(gitdir, want))) return { gitdir, parent: want };
  const synced = await source.sync(signal);
  if (!parent || parent === synced.head) return { gitdir: synced.gitdir, parent: synced.head };
  return undefined;
}
