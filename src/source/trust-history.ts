/**
 * Reading the history that trust verification needs from a local (possibly shallow) clone:
 * the commits reachable from a new head and not from the last applied one, and the files
 * each commit changes relative to its first parent. Missing objects are fetched through an
 * injected `deepen` callback.
 */
import * as fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import type { ReadCommitResult, TreeEntry } from 'isomorphic-git';
import type { ChangedPath } from './trust.js';

/**
 * Called with the id of a commit whose object (or tree) is missing locally; resolves once
 * the caller has fetched more history (for example `fetch` with a larger depth). It is
 * called again while the commit is still missing and the clone's shallow boundary moved.
 */
export type Deepen = (commit: string) => Promise<void>;

/** A commit (or its tree) that is missing, and that deepening did not (or could not) bring. */
export class MissingHistoryError extends Error {
  constructor(
    readonly commit: string,
    /** False when the clone is complete (not shallow), so there was nothing to deepen. */
    readonly deepened: boolean,
  ) {
    super(`commit ${commit} is missing from the local clone`);
    this.name = 'MissingHistoryError';
  }
}

/** Reads commits and trees of one gitdir, deepening while an object is missing. */
export interface HistoryReader {
  commit(oid: string): Promise<ReadCommitResult>;
  tree(oid: string, ofCommit: string): Promise<TreeEntry[]>;
}

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'NotFoundError';
}

/** The shallow boundary of a clone (`.git/shallow`), or undefined for a complete clone. */
async function shallowBoundary(gitdir: string): Promise<string | undefined> {
  try {
    return await readFile(join(gitdir, 'shallow'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A reader over `gitdir`. When an object is missing from a shallow clone it calls
 * `deepen(commit)` and reads again, as long as each call moves the shallow boundary; then
 * throws MissingHistoryError.
 */
export function historyReader(gitdir: string, deepen: Deepen): HistoryReader {
  const cache = {};
  const withDeepen = async <T>(commit: string, read: () => Promise<T>): Promise<T> => {
    for (let deepened = false; ; deepened = true) {
      try {
        return await read();
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const before = await shallowBoundary(gitdir);
      if (before === undefined) throw new MissingHistoryError(commit, deepened);
      await deepen(commit);
      if ((await shallowBoundary(gitdir)) === before) throw new MissingHistoryError(commit, true);
    }
  };
  return {
    commit: (oid) => withDeepen(oid, () => git.readCommit({ fs, gitdir, oid, cache })),
    tree: (oid, ofCommit) =>
      withDeepen(ofCommit, async () => (await git.readTree({ fs, gitdir, oid, cache })).tree),
  };
}

const NEW = 1;
const OLD = 2;

/**
 * The commits reachable from `to` and not from `from`, oldest first (`[to]` alone when
 * `from` is undefined). Walks newest-first by committer time from both ends, like
 * `git rev-list to ^from`, and stops once every commit still to visit is reachable from
 * `from`. Clock skew can only add already-applied commits, never skip a new one. Returns
 * undefined when there are more than `max`.
 */
export async function commitsBetween(
  r: HistoryReader,
  from: string | undefined,
  to: string,
  max: number,
): Promise<ReadCommitResult[] | undefined> {
  if (from === undefined) return [await r.commit(to)];
  const flags = new Map<string, number>();
  const read = new Map<string, ReadCommitResult>();
  const queue = new Set<string>();
  const mark = async (oid: string, f: number): Promise<void> => {
    const prev = flags.get(oid) ?? 0;
    if ((prev | f) === prev) return;
    if (!read.has(oid)) read.set(oid, await r.commit(oid));
    flags.set(oid, prev | f);
    queue.add(oid);
  };
  await mark(to, NEW);
  await mark(from, OLD);
  const visited: string[] = [];
  const seen = new Set<string>();
  while ([...queue].some((oid) => ((flags.get(oid) ?? 0) & OLD) === 0)) {
    let next: string | undefined;
    for (const oid of queue)
      if (next === undefined || time(read, oid) > time(read, next)) next = oid;
    const oid = next as string;
    queue.delete(oid);
    const f = flags.get(oid) ?? 0;
    if (f === NEW && !seen.has(oid)) {
      seen.add(oid);
      visited.push(oid);
      if (visited.length > max) return undefined;
    }
    for (const parent of read.get(oid)?.commit.parent ?? []) await mark(parent, f);
  }
  return visited
    .filter((oid) => flags.get(oid) === NEW)
    .reverse()
    .map((oid) => read.get(oid) as ReadCommitResult);
}

function time(read: Map<string, ReadCommitResult>, oid: string): number {
  return read.get(oid)?.commit.committer.timestamp ?? 0;
}

async function subtree(
  r: HistoryReader,
  treeOid: string,
  subPath: string,
  ofCommit: string,
): Promise<string | undefined> {
  let oid = treeOid;
  for (const seg of subPath ? subPath.split('/') : []) {
    const entry = (await r.tree(oid, ofCommit)).find((e) => e.path === seg);
    if (entry?.type !== 'tree') return undefined;
    oid = entry.oid;
  }
  return oid;
}

/**
 * The files under `subPath` (paths relative to it) that `c` adds, modifies or deletes
 * relative to its first parent; a root commit adds all its files. A mode change counts as
 * a modification; a file replaced by a directory is a delete plus adds.
 */
export async function changedPaths(
  r: HistoryReader,
  c: ReadCommitResult,
  subPath: string,
): Promise<ChangedPath[]> {
  const parentOid = c.commit.parent[0];
  const parent = parentOid === undefined ? undefined : await r.commit(parentOid);
  const before = parent && (await subtree(r, parent.commit.tree, subPath, parent.oid));
  const after = await subtree(r, c.commit.tree, subPath, c.oid);
  const out: ChangedPath[] = [];
  const diff = async (a: string | undefined, b: string | undefined, prefix: string) => {
    const pairs = new Map<string, [TreeEntry | undefined, TreeEntry | undefined]>();
    for (const x of a && parent ? await r.tree(a, parent.oid) : [])
      pairs.set(x.path, [x, undefined]);
    for (const y of b ? await r.tree(b, c.oid) : []) pairs.set(y.path, [pairs.get(y.path)?.[0], y]);
    for (const name of [...pairs.keys()].sort()) {
      const [x, y] = pairs.get(name) ?? [];
      const path = prefix ? `${prefix}/${name}` : name;
      if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
      const xTree = x?.type === 'tree' ? x.oid : undefined;
      const yTree = y?.type === 'tree' ? y.oid : undefined;
      if (xTree || yTree) await diff(xTree, yTree, path);
      const xFile = x !== undefined && !xTree;
      const yFile = y !== undefined && !yTree;
      if (xFile && yFile) out.push({ path, change: 'modify' });
      else if (xFile) out.push({ path, change: 'delete' });
      else if (yFile) out.push({ path, change: 'add' });
    }
  };
  await diff(before, after, '');
  return out;
}
