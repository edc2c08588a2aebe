import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { codes, stalled } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { GitAuth } from './auth.js';
import { createGitSource } from './git-source.js';
import { commitToLocalRepo } from './local-commit.js';
import { isManifestPath, normalizeSubPath, readManifestTree } from './git-tree.js';
import { stripUserInfo } from './redact.js';
import { maxManifestBytes, type SourceFile, type Source } from './source.js';
import type { HistorySource } from './verified-source.js';

/**
 * The git directory of a local repository: `<dir>/.git` (a directory, or a `gitdir:` file),
 * or `dir` itself when it is bare. Returns undefined when `dir` is not a repository.
 */
export async function findGitDir(dir: string): Promise<string | undefined> {
  const dotGit = join(dir, '.git');
  try {
    const s = await stat(dotGit);
    if (s.isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8'));
    if (m?.[1]) return resolve(dir, m[1].trim());
  } catch {
    // not a work tree; maybe bare
  }
  try {
    const [head, objects] = await Promise.all([
      stat(join(dir, 'HEAD')),
      stat(join(dir, 'objects')),
    ]);
    if (head.isFile() && objects.isDirectory()) return dir;
  } catch {
    return undefined;
  }
  return undefined;
}

async function resolveHead(gitdir: string, branch: string | undefined, describe: string) {
  try {
    return await git.resolveRef({ fs, gitdir, ref: branch ? `refs/heads/${branch}` : 'HEAD' });
  } catch {
    const branches = await git.listBranches({ fs, gitdir }).catch(() => [] as string[]);
    const known = branches.length ? `; branches: ${branches.slice(0, 20).join(', ')}` : '';
    const what = branch ? `branch '${branch}' does not exist` : 'HEAD has no commit';
    throw stalled(codes.sourceRef, `${what} in ${describe}${known}`, {
      hint: 'commit the desired state, or pass an existing branch',
    });
  }
}

/**
 * A Source reading the committed tree of a local Git repository (work tree or bare): the head
 * of `branch`, or the current HEAD. Uncommitted edits are not seen. Throws a usage error when
 * `dir` is not a repository (on fetch) or `path` is invalid (at once).
 */
export function createLocalRepoSource(opts: {
  dir: string;
  branch?: string;
  path?: string;
  clock: Clock;
  log: Logger;
  maxFileBytes?: number;
}): HistorySource {
  const dir = resolve(opts.dir);
  const subPath = normalizeSubPath(opts.path);
  const description = `${dir}#${opts.branch ?? 'HEAD'}:/${subPath}`;
  const gitDir = async () => {
    const gitdir = await findGitDir(dir);
    if (gitdir) return gitdir;
    throw stalled(codes.usage, `${dir} is not a Git repository`, {
      hint: 'pass the directory of a Git repository, or an http(s) URL',
    });
  };
  return {
    description,
    // A local repository is complete (or as shallow as its owner made it): nothing to deepen.
    history: async () => ({ gitdir: await gitDir(), subPath, deepen: () => Promise.resolve() }),
    async commit(req) {
      const gitdir = await gitDir();
      return commitToLocalRepo({ dir, gitdir, branch: opts.branch, subPath }, req);
    },
    async fetch() {
      const gitdir = await gitDir();
      const revision = await resolveHead(gitdir, opts.branch, description);
      const files = await readManifestTree({
        gitdir,
        commit: revision,
        subPath,
        maxFileBytes: opts.maxFileBytes ?? maxManifestBytes,
        describe: description,
      });
      opts.log.debug(
        { source: description, revision, files: files.length },
        'read local repository',
      );
      return { revision, files, fetchedAt: opts.clock.now() };
    },
    close: () => Promise.resolve(),
  };
}

async function listManifests(root: string, prefix: string, out: string[]): Promise<void> {
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    // Hidden entries (.git, editor state) are never desired state.
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await listManifests(root, rel, out);
    else if (isManifestPath(rel) && (entry.isFile() || entry.isSymbolicLink())) out.push(rel);
  }
}

/**
 * A Source reading plain files on disk (for `dbops validate DIR`): every `*.yaml`/`*.yml`
 * under `dir`/`path`, sorted. The revision is `local:<sha256 of the sorted paths and
 * contents>`, so an unchanged directory keeps its revision. Throws a usage error when the
 * directory does not exist.
 */
export function createDirectorySource(opts: {
  dir: string;
  path?: string;
  clock: Clock;
  maxFileBytes?: number;
}): Source {
  const root = join(resolve(opts.dir), normalizeSubPath(opts.path));
  const maxFileBytes = opts.maxFileBytes ?? maxManifestBytes;
  return {
    description: root,
    async fetch() {
      const paths: string[] = [];
      try {
        await listManifests(root, '', paths);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw stalled(codes.usage, `cannot read directory ${root} (${code})`, {
          hint: 'pass an existing directory of manifests',
        });
      }
      paths.sort();
      const digest = createHash('sha256');
      const files: SourceFile[] = [];
      for (const path of paths) {
        const data = await readFile(join(root, path));
        digest.update(`${path}\0${data.length}\0`).update(data);
        const content = data.length > maxFileBytes ? null : data.toString('utf8');
        files.push({ path, size: data.length, content });
      }
      return { revision: `local:${digest.digest('hex')}`, files, fetchedAt: opts.clock.now() };
    },
    commit: () =>
      Promise.resolve({
        ok: false,
        reason: 'refused',
        message: `${root} is a plain directory, not a Git repository: there is nothing to commit to`,
        hint: 'run git init and commit the manifests there, or pass an http(s) URL',
      }),
    close: () => Promise.resolve(),
  };
}

/** How `repo` will be read, decided from its text alone. Pure. */
export type RepoKind = 'http' | 'unsupported-url' | 'path';

/** Classifies a `repo` argument: an http(s) URL, another URL scheme, or a local path. */
export function repoKind(repo: string): RepoKind {
  if (/^https?:\/\//i.test(repo)) return 'http';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return 'unsupported-url';
  // scp-like ssh syntax: user@host:path or host:path (but not a Windows drive letter).
  if (/^[^/\\:]+@[^/\\:]+:/.test(repo) || /^[A-Za-z0-9.-]{2,}:[^\\]/.test(repo)) {
    return 'unsupported-url';
  }
  return 'path';
}

// Construction happens once at start-up, so a synchronous look is fine here.
function looksLikeRepo(dir: string): boolean {
  if (fs.existsSync(join(dir, '.git'))) return true;
  return fs.existsSync(join(dir, 'HEAD')) && fs.existsSync(join(dir, 'objects'));
}

/**
 * Picks the Source for `repo`: an http(s) URL gets the git source; a directory holding a
 * repository (work tree or bare) gets the local repository source; a plain directory gets the
 * directory source only with `allowDirectory`. Throws a usage error for file://, git://, ssh
 * and anything else, explaining what to do instead.
 */
export function createSource(opts: {
  repo: string;
  branch?: string;
  path?: string;
  cacheDir: string;
  auth?: GitAuth;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
  maxFileBytes?: number;
  allowDirectory?: boolean;
}): Source {
  const { repo, ...rest } = opts;
  const kind = repoKind(repo);
  if (kind === 'http') return createGitSource({ ...rest, url: repo });
  if (kind === 'unsupported-url') {
    throw stalled(
      codes.usage,
      `cannot read ${stripUserInfo(repo)}: dbops speaks smart HTTP(S) only (isomorphic-git), not file://, git:// or ssh`,
      {
        hint: 'use the https:// clone URL of the repository, serve it over http (dbops demo does), or pass a local path to the repository',
      },
    );
  }
  const dir = resolve(repo);
  const isDir = fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (!isDir) {
    throw stalled(codes.usage, `${dir} does not exist or is not a directory`, {
      hint: 'pass an http(s) URL or the directory of a Git repository',
    });
  }
  if (looksLikeRepo(dir)) {
    return createLocalRepoSource({
      dir,
      branch: opts.branch,
      path: opts.path,
      clock: opts.clock,
      log: opts.log,
      maxFileBytes: opts.maxFileBytes,
    });
  }
  if (opts.allowDirectory) {
    return createDirectorySource({
      dir,
      path: opts.path,
      clock: opts.clock,
      maxFileBytes: opts.maxFileBytes,
    });
  }
  throw stalled(codes.usage, `${dir} is not a Git repository`, {
    hint: 'run git init and commit the manifests there, or pass an http(s) URL',
  });
}
