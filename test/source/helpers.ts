import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { startGitServer, type GitServer } from '../../src/http/git-server.js';
import { initBareRepo } from '../../src/http/git-seed.js';
import { createLogger, type Logger } from '../../src/platform/logger.js';

const run = promisify(execFile);

/** Runs native git asynchronously (the server under test shares this event loop). */
export async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run(
    'git',
    [
      '-c',
      'user.name=Tester',
      '-c',
      'user.email=tester@example.com',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' } },
  );
  return stdout.trim();
}

/** Writes files (path -> content) under a directory, creating parents. */
export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** A temp dir, a Git HTTP server on a random port, and one seeded repository. */
export interface Fixture {
  tmp: string;
  server: GitServer;
  /** Clone URL of the seeded repository (no credentials). */
  url: string;
  bareDir: string;
  /** Clone URL with credentials embedded, for native git. */
  authedUrl: string;
  cleanup(): Promise<void>;
}

/** Starts a server around a bare repo seeded with `files` on main. */
export async function startFixture(
  files: Record<string, string>,
  opts: { auth?: { username: string; password: string } } = {},
): Promise<Fixture> {
  const tmp = await mkdtemp(join(tmpdir(), 'dbops-src-'));
  await writeTree(join(tmp, 'seed'), files);
  const { bareDir } = await initBareRepo({
    root: join(tmp, 'repos'),
    name: 'desired',
    fromDir: join(tmp, 'seed'),
  });
  const server = await startGitServer({ root: join(tmp, 'repos'), auth: opts.auth });
  const url = server.url('desired');
  const authedUrl = opts.auth
    ? url.replace(
        'http://',
        `http://${encodeURIComponent(opts.auth.username)}:${encodeURIComponent(opts.auth.password)}@`,
      )
    : url;
  return {
    tmp,
    server,
    url,
    bareDir,
    authedUrl,
    cleanup: async () => {
      await server.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Clones with native git, writes/deletes files, commits and pushes; returns the new commit id. */
export async function pushWithGit(
  fx: Fixture,
  change: {
    files?: Record<string, string>;
    remove?: string[];
    branch?: string;
    force?: boolean;
    amend?: boolean;
  },
): Promise<string> {
  const wc = join(fx.tmp, `wc-${++counter}`);
  const branch = change.branch ?? 'main';
  await git(['clone', '--quiet', fx.authedUrl, wc]);
  const exists = await git(['ls-remote', '--heads', 'origin', branch], wc);
  if (exists) await git(['checkout', '--quiet', branch], wc);
  else await git(['checkout', '--quiet', '-b', branch], wc);
  await writeTree(wc, change.files ?? {});
  for (const p of change.remove ?? []) await git(['rm', '--quiet', p], wc);
  await git(['add', '--all'], wc);
  await git(
    ['commit', '--quiet', '--allow-empty', ...(change.amend ? ['--amend'] : []), '-m', 'change'],
    wc,
  );
  await git(['push', '--quiet', ...(change.force ? ['--force'] : []), 'origin', branch], wc);
  const head = await git(['rev-parse', 'HEAD'], wc);
  await rm(wc, { recursive: true, force: true });
  return head;
}

/** The commit a branch points to in the bare repository. */
export function remoteHead(fx: Fixture, branch = 'main'): Promise<string> {
  return git([`--git-dir=${fx.bareDir}`, 'rev-parse', `refs/heads/${branch}`]);
}

/** A JSON logger whose output is kept in memory, to assert nothing secret was logged. */
export function capturingLogger(): { log: Logger; output: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    log: createLogger({ level: 'debug', pretty: false, destination }),
    output: () => chunks.join(''),
  };
}
