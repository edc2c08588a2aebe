import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, waitFor } from '../../src/platform/clock.js';

/** A Postgres this file started again on an existing data dir. */
export interface RestartedPostgres {
  /** Fast shutdown; waits for the exit. */
  stop(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** kill -9 of the postmaster named in `postmaster.pid`; resolves once it is gone. */
export async function killPostgres(dataDir: string): Promise<void> {
  const pid = Number((await readFile(`${dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no postmaster pid in ${dataDir}`);
  process.kill(pid, 'SIGKILL');
  await waitFor(systemClock, `postmaster ${pid} to exit`, () => !alive(pid) || undefined, {
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

/**
 * Starts Postgres again on `dataDir` and `port` the way test/helpers/postgres-server.ts does,
 * as the data dir's owner; retries while backends of the killed server still hold its shared
 * memory. Resolves once it accepts connections (after crash recovery).
 */
export async function restartPostgres(dataDir: string, port: number): Promise<RestartedPostgres> {
  const { uid, gid } = await stat(dataDir);
  const args = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'];
  args.push('-c', `unix_socket_directories=${dirname(dataDir)}`, '-c', 'fsync=off');
  const proc = await waitFor(systemClock, 'Postgres to start again', () => launch(args, uid, gid), {
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGINT');
      }),
  };
}

function launch(args: string[], uid: number, gid: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/lib/postgresql/15/bin/postgres', args, {
      uid,
      gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let ready = false;
    const onData = (c: Buffer) => {
      out = (out + c.toString()).slice(-8000);
      if (!ready && out.includes('ready to accept connections')) {
        ready = true;
        proc.off('exit', onExit);
        resolve(proc);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`postgres exited (${code}):\n${out}`));
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', onExit);
  });
}
