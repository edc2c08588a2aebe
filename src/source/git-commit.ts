import * as fs from 'node:fs';
import git, { type TreeEntry } from 'isomorphic-git';
import { DbopsError, codes } from '../errors.js';
import { cachePath, netArgs } from './git-cache.js';
import { remoteError } from './git-errors.js';
import type { GitSource } from './git-source.js';
import { normalizeSubPath } from './git-tree.js';

/** The outcome of a commit and push: the new revision, or a conflict to retry on a new head. */
export type CommitResult = { ok: true; revision: string } | { ok: false; reason: 'conflict' };

/** A file to write, its path relative to the source's sub-path. */
export interface CommitFile {
  path: string;
  content: string;
}

/** Ref that holds the commit being pushed; never a branch, so fetches never fight over it. */
const outgoingRef = 'refs/dbops/outgoing';

type Tree = Map<string, { file: string } | Tree>;

function nest(files: CommitFile[], subPath: string): Tree {
  const root: Tree = new Map();
  for (const f of files) {
    const rel = normalizeSubPath(f.path);
    if (!rel)
      throw new DbopsError(codes.usage, 'a committed file needs a path', { retry: 'stalled' });
    const parts = (subPath ? `${subPath}/${rel}` : rel).split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      const next = node.get(dir);
      if (next instanceof Map) node = next;
      else {
        const made: Tree = new Map();
        node.set(dir, made);
        node = made;
      }
    }
    node.set(parts[parts.length - 1]!, { file: f.content });
  }
  return root;
}

/** Writes `changes` over the tree `base` (undefined: empty) and returns the new tree id. */
async function overlay(gitdir: string, base: string | undefined, changes: Tree): Promise<string> {
  const entries = new Map<string, TreeEntry>();
  if (base)
    for (const e of (await git.readTree({ fs, gitdir, oid: base })).tree) entries.set(e.path, e);
  for (const [name, change] of changes) {
    const old = entries.get(name);
    if (change instanceof Map) {
      const oid = await overlay(gitdir, old?.type === 'tree' ? old.oid : undefined, change);
      entries.set(name, { mode: '040000', path: name, oid, type: 'tree' });
    } else {
      const oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(change.file, 'utf8') });
      entries.set(name, { mode: '100644', path: name, oid, type: 'blob' });
    }
  }
  return git.writeTree({ fs, gitdir, tree: [...entries.values()] });
}

function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'PushRejectedError' || code === 'GitPushError';
}

/**
 * Commits `files` (paths relative to the source's sub-path) on top of `parent` (default: the
 * head of the source's latest fetch) and pushes it to the source's branch. Returns
 * `{ ok: false, reason: 'conflict' }` when the branch moved meanwhile: fetch, re-apply the
 * intent on the new head, and call again. `author.timestamp` is clock milliseconds; the commit
 * is deterministic for the same inputs. Throws source DbopsErrors for network and auth errors.
 */
export async function commitAndPush(
  source: GitSource,
  opts: {
    files: CommitFile[];
    message: string;
    author: { name: string; email: string; timestamp: number };
    parent?: string;
    signal?: AbortSignal;
  },
): Promise<CommitResult> {
  const changes = nest(opts.files, source.subPath);
  return source.exclusive(async () => {
    const r = source.remote;
    const branch = await source.branch(opts.signal);
    const base = await baseCommit(source, branch, opts.parent, opts.signal);
    if (!base) return { ok: false, reason: 'conflict' };
    const { gitdir, parent } = base;
    const { tree: baseTree } = await git
      .readCommit({ fs, gitdir, oid: parent })
      .then((c) => c.commit);
    const tree = await overlay(gitdir, baseTree, changes);
    const who = {
      name: opts.author.name,
      email: opts.author.email,
      timestamp: Math.floor(opts.author.timestamp / 1000),
      timezoneOffset: 0,
    };
    const oid = await git.commit({
      fs,
      gitdir,
      message: opts.message.endsWith('\n') ? opts.message : `${opts.message}\n`,
      author: who,
      committer: who,
      tree,
      parent: [parent],
      noUpdateBranch: true,
    });
    await git.writeRef({ fs, gitdir, ref: outgoingRef, value: oid, force: true });
    try {
      const res = await git.push({
        ...netArgs(r, opts.signal),
        gitdir,
        ref: outgoingRef,
        remoteRef: `refs/heads/${branch}`,
        signal: opts.signal,
      });
      if (!res.ok) return { ok: false, reason: 'conflict' };
    } catch (err) {
      if (isConflict(err)) {
        r.log.info({ branch, parent }, 'push rejected: the branch moved; re-apply on the new head');
        return { ok: false, reason: 'conflict' };
      }
      throw remoteError(err, { url: r.url, branch, secrets: r.secrets });
    }
    await git.writeRef({
      fs,
      gitdir,
      ref: `refs/remotes/origin/${branch}`,
      value: oid,
      force: true,
    });
    source.noteHead(oid);
    r.log.info({ branch, revision: oid, files: opts.files.length }, 'pushed commit');
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
