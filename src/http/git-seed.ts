import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DbopsError } from '../errors.js';
import { codes, stalled } from '../errors.js';
import { pathExists } from '../platform/files.js';

const run = promisify(execFile);

/** Runs the native git CLI (never through a shell) and returns its stdout. */
export async function runGit(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await run('git', args, {
      cwd: opts.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw gitMissing();
    throw err;
  }
}

function gitMissing(): DbopsError {
  return stalled(codes.prerequisite, 'git is not installed', {
    hint: 'apt-get install -y git',
  });
}

/** Throws a prerequisite error unless the native git CLI and `git http-backend` exist. */
export async function ensureGit(): Promise<void> {
  const execPath = (await runGit(['--exec-path'])).trim();
  try {
    await stat(join(execPath, 'git-http-backend'));
  } catch {
    throw stalled(codes.prerequisite, 'git http-backend is not installed', {
      hint: 'apt-get install -y git',
    });
  }
}

/**
 * Creates `<root>/<name>.git` once: a bare repository that accepts pushes over HTTP, holding
 * one commit of `fromDir`'s files on `branch` (default main), or no commit without `fromDir`.
 * Returns early with `created: false` when the repository already exists.
 */
export async function initBareRepo(opts: {
  root: string;
  name: string;
  fromDir?: string;
  branch?: string;
  author?: { name: string; email: string };
}): Promise<{ bareDir: string; created: boolean }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.name) || opts.name.includes('..')) {
    throw stalled(codes.usage, `invalid repository name '${opts.name}'`, {
      hint: 'use letters, digits, dot, dash and underscore',
    });
  }
  const bareDir = join(opts.root, `${opts.name.replace(/\.git$/, '')}.git`);
  if (await pathExists(bareDir)) return { bareDir, created: false };
  await ensureGit();
  await mkdir(opts.root, { recursive: true });
  const branch = opts.branch ?? 'main';
  // Built beside the target and renamed into place, so a crash never leaves half a repository.
  const tmp = join(opts.root, `.${opts.name}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await runGit(['init', '--quiet', '--bare', `--initial-branch=${branch}`, tmp]);
    await runGit(['config', 'http.receivepack', 'true'], { cwd: tmp });
    if (opts.fromDir) await commitDir(tmp, opts.fromDir, branch, opts.author);
    try {
      await rename(tmp, bareDir);
    } catch (err) {
      // Someone else created it first: theirs wins, the call stays idempotent.
      if (await pathExists(bareDir)) return { bareDir, created: false };
      throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { bareDir, created: true };
}

async function commitDir(
  gitDir: string,
  fromDir: string,
  branch: string,
  author = { name: 'dbops', email: 'dbops@localhost' },
): Promise<void> {
  // A user's global hooks or signing setup must not break (or sign) the seed commit.
  const base = [
    '-c',
    'commit.gpgsign=false',
    '-c',
    'core.hooksPath=/dev/null',
    `--git-dir=${gitDir}`,
    `--work-tree=${fromDir}`,
  ];
  const env = {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
  await runGit([...base, 'add', '--all', '.'], { cwd: fromDir });
  await runGit(
    [...base, 'commit', '--quiet', '--no-verify', '--allow-empty', '-m', 'Initial desired state'],
    {
      cwd: fromDir,
      env,
    },
  );
  await runGit(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], { cwd: gitDir });
  await rm(join(gitDir, 'index'), { force: true });
}
