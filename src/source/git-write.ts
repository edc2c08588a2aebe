import * as fs from 'node:fs';
import git, { type TreeEntry } from 'isomorphic-git';
import { codes, stalled } from '../errors.js';
import { normalizeSubPath } from './git-tree.js';
import type { CommitFile, CommitRequest } from './source.js';

type Tree = Map<string, { file: string } | Tree>;

function nest(files: CommitFile[], subPath: string): Tree {
  const root: Tree = new Map();
  for (const f of files) {
    const rel = normalizeSubPath(f.path);
    if (!rel) throw stalled(codes.usage, 'a committed file needs a path');
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

/** Throws a usage error for a path that leaves the repository, before anything is written. */
export function checkCommitPaths(files: CommitFile[], subPath: string): void {
  nest(files, subPath);
}

/**
 * Writes the objects of a commit of `req.files` (under `subPath`) over `parent`'s tree into
 * `gitdir` and returns its id, without moving any ref. Deterministic for the same inputs
 * (author time in whole seconds, UTC), signed when `req.sign` is given.
 */
export async function writeCommit(
  gitdir: string,
  subPath: string,
  parent: string,
  req: CommitRequest,
): Promise<string> {
  const changes = nest(req.files, subPath);
  const { tree: baseTree } = (await git.readCommit({ fs, gitdir, oid: parent })).commit;
  const tree = await overlay(gitdir, baseTree, changes);
  const who = {
    name: req.author.name,
    email: req.author.email,
    timestamp: Math.floor(req.author.timestamp / 1000),
    timezoneOffset: 0,
  };
  const sign = req.sign;
  return git.commit({
    fs,
    gitdir,
    message: req.message.endsWith('\n') ? req.message : `${req.message}\n`,
    author: who,
    committer: who,
    tree,
    parent: [parent],
    noUpdateBranch: true,
    ...(sign
      ? {
          signingKey: 'injected',
          onSign: async ({ payload }: { payload: string }) => ({
            signature: await sign(payload),
          }),
        }
      : {}),
  });
}
