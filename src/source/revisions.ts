/**
 * Any revision of a local repository, not only the branch head: what `dbops plan` compares.
 * Accepts what a CI system passes: a full or abbreviated commit id, a branch, a tag, a remote
 * branch (`origin/main`), HEAD, each optionally followed by `~N` and `^` steps to ancestors.
 */
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import git from 'isomorphic-git';
import { codes, stalled } from '../errors.js';
import { normalizeSubPath, readManifestTree } from './git-tree.js';
import { findGitDir } from './local-source.js';
import { maxManifestBytes, type SourceFile } from './source.js';

/** The commit a revision names, and the manifests of its tree under `path`. */
export interface RevisionFiles {
  commit: string;
  files: SourceFile[];
}

/** Splits `main~2^` into its base and the number of first-parent steps. */
function parseRevision(rev: string): { base: string; steps: number } | undefined {
  const m = /^([^~^\s]+)((?:~\d*|\^1?)*)$/.exec(rev);
  if (!m?.[1]) return undefined;
  let steps = 0;
  for (const s of (m[2] ?? '').match(/~\d*|\^1?/g) ?? []) {
    steps += s.startsWith('~') ? (s.length > 1 ? Number(s.slice(1)) : 1) : 1;
  }
  return { base: m[1], steps };
}

async function resolveBase(gitdir: string, base: string): Promise<string | undefined> {
  if (/^[0-9a-f]{40}$/i.test(base)) {
    const ok = await git.readCommit({ fs, gitdir, oid: base.toLowerCase() }).then(
      () => true,
      () => false,
    );
    return ok ? base.toLowerCase() : undefined;
  }
  const ref = await git.resolveRef({ fs, gitdir, ref: base }).catch(() => undefined);
  if (ref) return ref;
  if (/^[0-9a-f]{4,39}$/i.test(base)) {
    return git.expandOid({ fs, gitdir, oid: base.toLowerCase() }).catch(() => undefined);
  }
  return undefined;
}

/**
 * Resolves `rev` in the repository at `dir` (git directory `gitdir`) to a commit id. Throws a
 * sourceRef error naming the revision when it does not exist (or an ancestor step goes past
 * the first commit).
 */
async function resolveRevision(gitdir: string, dir: string, rev: string): Promise<string> {
  const parsed = parseRevision(rev);
  const missing = (why: string) =>
    stalled(codes.sourceRef, `revision '${rev}' ${why} in ${resolve(dir)}`, {
      hint: 'pass a commit id, a branch, a tag or HEAD (with ~N for an ancestor); fetch the history first in a shallow clone (git fetch --unshallow, or fetch-depth: 0)',
    });
  if (!parsed) throw missing('is not a revision dbops understands');
  const found = await resolveBase(gitdir, parsed.base);
  if (!found) throw missing('does not exist');
  let oid: string = found;
  for (let i = 0; i < parsed.steps; i++) {
    const read = await git.readCommit({ fs, gitdir, oid }).catch(() => undefined);
    if (!read) throw missing('reaches a commit that is not in the repository');
    const parent: string | undefined = read.commit.parent[0];
    if (!parent) throw missing('goes past the first commit');
    oid = parent;
  }
  return oid;
}

/**
 * Reads the manifests of revision `rev` under `path` (every YAML file, recursively). Throws a
 * usage error when `dir` is not a repository, a sourceRef error when `rev` names no commit.
 */
export async function readRevision(opts: {
  dir: string;
  rev: string;
  path?: string;
  maxFileBytes?: number;
  /** A revision without `path` has no manifests (a base from before the folder existed). */
  missingPathIsEmpty?: boolean;
  /** Files of another revision by blob id, and git's object cache: unchanged blobs are read once. */
  known?: ReadonlyMap<string, SourceFile>;
  cache?: object;
}): Promise<RevisionFiles> {
  const subPath = normalizeSubPath(opts.path);
  const gitdir = await gitDirOf(opts.dir);
  const commit = await resolveRevision(gitdir, opts.dir, opts.rev);
  if (subPath && opts.missingPathIsEmpty) {
    const present = await git
      .readTree({ fs, gitdir, oid: commit, filepath: subPath })
      .then(() => true)
      .catch(() => false);
    if (!present) return { commit, files: [] };
  }
  const files = await readManifestTree({
    gitdir,
    commit,
    subPath,
    maxFileBytes: opts.maxFileBytes ?? maxManifestBytes,
    describe: `${resolve(opts.dir)} (${opts.rev})`,
    ...(opts.known ? { known: opts.known } : {}),
    ...(opts.cache ? { cache: opts.cache } : {}),
  });
  return { commit, files };
}

async function gitDirOf(dir: string): Promise<string> {
  const gitdir = await findGitDir(resolve(dir));
  if (gitdir) return gitdir;
  throw stalled(codes.usage, `${resolve(dir)} is not a Git repository`, {
    hint: 'run dbops plan inside the desired-state repository, or pass --repo DIR',
  });
}
