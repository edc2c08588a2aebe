import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBareRepo } from '../../src/http/git-seed.js';
import { startGitServer, type GitServer } from '../../src/http/git-server.js';
import { releaseLoops } from '../runtime/helpers.js';
import { startGitServerProcess } from './git-server-process.js';
import { git, writeFiles } from './git-work.js';
import { killAllMatching } from './processes.js';

/** A temp root with a Git server serving one repository seeded with `files`, and a state dir. */
export interface GitFixture {
  root: string;
  server: GitServer;
  url: string;
  /** The served bare repository, for plain git on the server side. */
  bareDir: string;
  stateDir: string;
  /** Kills every process of the state dir, releases its loop volumes, removes everything. */
  cleanup(): Promise<void>;
}

/** Seeds a bare repository from `files` and serves it over smart HTTP on a free port. */
export async function startGitFixture(
  prefix: string,
  files: Record<string, string>,
  opts: { serverProcess?: boolean; denyNonFastForwards?: boolean } = {},
): Promise<GitFixture> {
  const root = await mkdtemp(join(tmpdir(), `dbops-${prefix}-`));
  // Postgres members run as the postgres user and must reach the state dir.
  await chmod(root, 0o755);
  await writeFiles(join(root, 'seed'), files);
  await initBareRepo({ root: join(root, 'git'), name: 'desired', fromDir: join(root, 'seed') });
  const server = opts.serverProcess
    ? await startGitServerProcess(join(root, 'git'))
    : await startGitServer({ root: join(root, 'git'), port: 0 });
  const stateDir = join(root, 'state');
  const bareDir = join(root, 'git', 'desired.git');
  // Like a protected branch: the server refuses every push that is not a fast-forward.
  if (opts.denyNonFastForwards)
    await git(root, '--git-dir', bareDir, 'config', 'receive.denyNonFastForwards', 'true');
  return {
    root,
    server,
    url: server.url('desired'),
    bareDir,
    stateDir,
    async cleanup() {
      await killAllMatching(stateDir);
      await releaseLoops(stateDir);
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
