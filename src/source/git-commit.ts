import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { cachePath, netArgs, recordHead } from './git-cache.js';
import { remoteError } from './git-errors.js';
import type { GitSource } from './git-source.js';
import { packfile } from './git-objects.js';
import { noCommit, pushRef } from './git-receive-pack.js';
import { buildCommit, checkCommitPaths, storeObjects } from './git-write.js';
import { redact } from './redact.js';
import type { CommitRequest, CommitResult } from './source.js';

export type { CommitFile, CommitResult } from './source.js';

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
    const cache = source.objectCache();
    const base = await baseCommit(source, watched, req.parent, req.signal, cache);
    if (!base) return { ok: false, reason: 'conflict' };
    const { gitdir, parent } = base;
    const { oid, objects } = await buildCommit(gitdir, source.subPath, parent, req, cache);
    // The branch must still be where the intent was decided (a new review branch: absent);
    // receive-pack checks that under the ref's lock.
    const old = branch === watched ? parent : noCommit;
    let res;
    try {
      const ref = `refs/heads/${branch}`;
      res = await pushRef(r, { ref, old, next: oid, pack: packfile(objects), signal: req.signal });
    } catch (err) {
      throw remoteError(err, { url: r.url, branch, secrets: r.secrets });
    }
    if (!res.ok && res.reason === 'moved') {
      r.log.info(
        { branch, parent, why: res.message },
        'push lost a race; re-apply on the new head',
      );
      return { ok: false, reason: 'conflict' };
    }
    if (!res.ok) {
      return {
        ok: false,
        reason: 'refused',
        message: `${r.url} refused the push to ${branch}: ${redact(res.message, r.secrets)}`,
        hint: 'check the branch protection and hooks of the remote, or commit to a review branch',
      };
    }
    // The cache keeps the commit: the next try builds on it, the next fetch starts from it.
    await storeObjects(gitdir, objects);
    if (branch === watched) {
      await recordHead(gitdir, branch, oid);
      source.noteHead(oid);
    }
    r.log.info({ branch, revision: oid, files: req.files.length }, 'pushed commit');
    return { ok: true, revision: oid };
  });
}

async function hasCommit(gitdir: string, oid: string, cache: object): Promise<boolean> {
  try {
    await git.readCommit({ fs, gitdir, oid, cache });
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
  parent: string | undefined,
  signal: AbortSignal | undefined,
  cache: object,
) {
  const gitdir = cachePath(source.remote.cacheDir, source.remote.url, branch);
  const want = parent ?? source.lastHead();
  if (want && (await hasCommit(gitdir, want, cache))) return { gitdir, parent: want };
  const synced = await source.sync(signal);
  if (!parent || parent === synced.head) return { gitdir: synced.gitdir, parent: synced.head };
  return undefined;
}
