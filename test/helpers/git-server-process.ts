import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GitServer } from '../../src/http/git-server.js';
import { exited } from './crash-runner.js';

const main = fileURLToPath(new URL('../fixtures/git-server-main.ts', import.meta.url));

/** Starts a Git server over `root` in a child process; resolves once it listens. */
export async function startGitServerProcess(root: string): Promise<GitServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, root], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`git server exited with ${code}`)));
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return {
    port,
    url: (repo) =>
      `http://127.0.0.1:${port}/${repo.replace(/^\/+/, '').replace(/(\.git)?$/, '.git')}`,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}
