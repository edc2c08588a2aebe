import * as fs from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { checkCommitPaths, writeCommit } from './git-write.js';
import type { CommitRequest, CommitResult } from './source.js';

/** A local repository as the local source sees it. */
export interface LocalRepo {
  /** The directory given (work tree, or the bare repository itself). */
  dir: string;
  gitdir: string;
  /** The watched branch, or undefined to follow HEAD. */
  branch: string | undefined;
  subPath: string;
}

const refOf = (branch: string) => `refs/heads/${branch}`;

async function headOf(gitdir: string, ref: string): Promise<string | undefined> {
  return git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
}

/** The branch a HEAD file points at, or undefined for a detached or unreadable HEAD. */
async function headBranch(headFile: string): Promise<string | undefined> {
  const text = await readFile(headFile, 'utf8').catch(() => '');
  return /^ref: refs\/heads\/(.+)$/m.exec(text)?.[1]?.trim();
}

/** Branches checked out in the repository's work trees (the main one and linked ones). */
async function checkedOut(repo: LocalRepo): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (repo.gitdir === repo.dir) return out; // bare: no work tree
  const main = await headBranch(join(repo.gitdir, 'HEAD'));
  if (main) out.set(main, repo.dir);
  const linked = await readdir(join(repo.gitdir, 'worktrees')).catch(() => [] as string[]);
  for (const name of linked) {
    const b = await headBranch(join(repo.gitdir, 'worktrees', name, 'HEAD'));
    if (b) out.set(b, join(repo.gitdir, 'worktrees', name));
  }
  return out;
}

/**
 * Moves `refs/heads/<branch>` from `expected` (undefined: the branch must not exist) to `oid`
 * under git's own lock protocol (`<ref>.lock`, created exclusively, renamed over the ref), so
 * that a concurrent native git writer either waits for us or sees the new value. False when
 * the ref moved or is locked by another writer: a conflict.
 */
async function compareAndSwap(
  gitdir: string,
  branch: string,
  expected: string | undefined,
  oid: string,
): Promise<boolean> {
  const path = join(gitdir, refOf(branch));
  await mkdir(dirname(path), { recursive: true });
  let fh;
  try {
    fh = await open(`${path}.lock`, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    if ((await headOf(gitdir, refOf(branch))) !== expected) return false;
    await fh.writeFile(`${oid}\n`);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(`${path}.lock`, path);
    return true;
  } finally {
    await fh?.close();
    await rm(`${path}.lock`, { force: true });
  }
}

/**
 * Commits into a local repository without touching any work tree or index: the objects go
 * into its object store and only a branch ref moves. Refuses a branch that is checked out in a
 * non-bare repository (moving it would leave that work tree behind its branch). Returns a
 * conflict when the watched branch is no longer at `req.parent`; another branch that exists
 * already is left alone (`existed`).
 */
export async function commitToLocalRepo(
  repo: LocalRepo,
  req: CommitRequest,
): Promise<CommitResult> {
  checkCommitPaths(req.files, repo.subPath);
  const watched = repo.branch ?? (await headBranch(join(repo.gitdir, 'HEAD')));
  if (!watched) {
    return {
      ok: false,
      reason: 'refused',
      message: `${repo.dir} has a detached HEAD: dbops cannot tell which branch to commit to`,
    };
  }
  const branch = req.branch ?? watched;
  const busy = (await checkedOut(repo)).get(branch);
  if (busy) {
    return {
      ok: false,
      reason: 'refused',
      message: `branch '${branch}' is checked out in ${busy}: dbops never writes a work tree or index, so it cannot commit there`,
      hint: `watch a bare clone (git clone --bare ${repo.dir} repo.git) or a branch that is not checked out (--branch)`,
    };
  }
  const head = await headOf(repo.gitdir, refOf(watched));
  if (!head) {
    return {
      ok: false,
      reason: 'refused',
      message: `branch '${watched}' has no commit in ${repo.dir}`,
    };
  }
  const parent = req.parent ?? head;
  if (branch === watched && parent !== head) return { ok: false, reason: 'conflict' };
  if (branch !== watched) {
    const existing = await headOf(repo.gitdir, refOf(branch));
    if (existing) return { ok: true, revision: existing, existed: true };
  }
  const oid = await writeCommit(repo.gitdir, repo.subPath, parent, req);
  const swapped = await compareAndSwap(
    repo.gitdir,
    branch,
    branch === watched ? parent : undefined,
    oid,
  );
  return swapped ? { ok: true, revision: oid } : { ok: false, reason: 'conflict' };
}
