import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { codes, stalled } from '../errors.js';
import {
  blobObject,
  commitObject,
  treeObject,
  type GitObject,
  type TreeItem,
} from './git-objects.js';
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

/**
 * The trees of `changes` laid over the tree `base` (undefined: empty), built in memory; pushes
 * every new tree and blob onto `out` and returns the new tree's id. Unchanged subtrees are
 * referenced, not read.
 */
async function overlay(
  gitdir: string,
  base: string | undefined,
  changes: Tree,
  out: GitObject[],
  cache: object,
): Promise<string> {
  const entries = new Map<string, TreeItem & { type: string }>();
  if (base)
    for (const e of (await git.readTree({ fs, gitdir, oid: base, cache })).tree)
      entries.set(e.path, e);
  for (const [name, change] of changes) {
    const old = entries.get(name);
    if (change instanceof Map) {
      const oid = await overlay(
        gitdir,
        old?.type === 'tree' ? old.oid : undefined,
        change,
        out,
        cache,
      );
      entries.set(name, { mode: '40000', path: name, oid, type: 'tree' });
    } else {
      const blob = blobObject(change.file);
      out.push(blob);
      entries.set(name, { mode: '100644', path: name, oid: blob.oid, type: 'blob' });
    }
  }
  const tree = treeObject([...entries.values()]);
  out.push(tree);
  return tree.oid;
}

/** Throws a usage error for a path that leaves the repository, before anything is written. */
export function checkCommitPaths(files: CommitFile[], subPath: string): void {
  nest(files, subPath);
}

/**
 * Builds a commit of `req.files` (under `subPath`) over `parent`'s tree, which must be in
 * `gitdir`, and returns its id and its new objects (commit, trees, blobs), in memory: nothing
 * is written and no ref moves (see storeObjects). Deterministic for the same inputs (author
 * time in whole seconds, UTC), signed when `req.sign` is given.
 */
export async function buildCommit(
  gitdir: string,
  subPath: string,
  parent: string,
  req: CommitRequest,
  cache: object = {},
): Promise<{ oid: string; objects: GitObject[] }> {
  const changes = nest(req.files, subPath);
  const { tree: baseTree } = (await git.readCommit({ fs, gitdir, oid: parent, cache })).commit;
  const objects: GitObject[] = [];
  const tree = await overlay(gitdir, baseTree, changes, objects, cache);
  const who = {
    name: req.author.name,
    email: req.author.email,
    timestamp: Math.floor(req.author.timestamp / 1000),
    timezoneOffset: 0,
  };
  const commit = await commitObject({
    tree,
    parents: [parent],
    author: who,
    message: req.message,
    ...(req.sign ? { sign: req.sign } : {}),
  });
  objects.unshift(commit);
  return { oid: commit.oid, objects };
}

/** Writes `objects` into `gitdir` as loose objects (present ones are left as they are). */
export async function storeObjects(gitdir: string, objects: readonly GitObject[]): Promise<void> {
  for (const o of objects) {
    await git.writeObject({ fs, gitdir, type: o.type, object: o.body, format: 'content' });
  }
}

/** buildCommit, then storeObjects: the commit and its objects are in `gitdir`; no ref moves. */
export async function writeCommit(
  gitdir: string,
  subPath: string,
  parent: string,
  req: CommitRequest,
): Promise<string> {
  const { oid, objects } = await buildCommit(gitdir, subPath, parent, req);
  await storeObjects(gitdir, objects);
  return oid;
}
