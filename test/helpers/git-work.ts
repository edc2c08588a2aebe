import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs native git with a fixed identity (what a user pushing to the desired-state repo does). */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, {
    cwd,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test User',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test User',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
  return stdout.trim();
}

/** Writes files (null deletes) into a directory, creating folders. */
export async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) await rm(full, { force: true });
    else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
}

/** Clones `url`, applies `files`, commits and pushes with plain git; returns the new commit. */
export async function pushFiles(
  url: string,
  files: Record<string, string | null>,
  message: string,
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'dbops-push-'));
  try {
    await git(work, 'clone', '--quiet', url, 'repo');
    const repo = join(work, 'repo');
    await writeFiles(repo, files);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', message);
    await git(repo, 'push', '--quiet', 'origin', 'HEAD');
    return await git(repo, 'rev-parse', 'HEAD');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Reverts `commit` (default the newest) with plain `git revert` and pushes; returns the new commit. */
export async function revertHead(url: string, commit = 'HEAD'): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'dbops-revert-'));
  try {
    await git(work, 'clone', '--quiet', url, 'repo');
    const repo = join(work, 'repo');
    await git(repo, 'revert', '--no-edit', commit);
    await git(repo, 'push', '--quiet', 'origin', 'HEAD');
    return await git(repo, 'rev-parse', 'HEAD');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
