import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = '/usr/lib/postgresql/15/bin';

/** A running Postgres 15 started by a test. */
export interface TestPostgres {
  host: '127.0.0.1';
  port: number;
  user: 'postgres';
  password: string;
  dataDir: string;
  /** Stops the server (fast shutdown) and removes its files. */
  cleanup(): Promise<void>;
}

/** uid/gid of the unprivileged account Postgres runs as (postgres, else nobody). */
async function account(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const name of ['postgres', 'nobody']) {
    const f = passwd
      .split('\n')
      .find((l) => l.startsWith(`${name}:`))
      ?.split(':');
    if (f?.[2] && f[3]) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error('no postgres or nobody account to run Postgres as');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function run(cmd: string, args: string[], ids: { uid: number; gid: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (out += c.toString()));
    p.once('error', reject);
    p.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}:\n${out}`)),
    );
  });
}

/** Resolves once the server logs that it accepts connections; rejects if it exits first. */
function waitReady(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let ready = false;
    const onData = (c: Buffer) => {
      out = (out + c.toString()).slice(-8000);
      if (!ready && out.includes('ready to accept connections')) {
        ready = true;
        proc.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`postgres exited (${code}):\n${out}`));
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
  });
}

/**
 * Starts a real Postgres 15: initdb as the unprivileged user with scram password auth, then
 * postgres on a free port on 127.0.0.1 with its socket in the temp dir.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const ids = await account();
  const root = await mkdtemp(join(tmpdir(), 'dbops-pg-'));
  await chown(root, ids.uid, ids.gid);
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwfile = join(root, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await chown(pwfile, ids.uid, ids.gid);
  const dataDir = join(root, 'data');
  let proc: ChildProcess | undefined;
  const cleanup = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const p = proc;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGINT');
      });
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    await run(
      `${bin}/initdb`,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--no-sync',
      ],
      ids,
    );
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const args = [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${root}`,
        '-c',
        'fsync=off',
      ];
      proc = spawn(`${bin}/postgres`, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        await waitReady(proc);
        return { host: '127.0.0.1', port, user: 'postgres', password, dataDir, cleanup };
      } catch (err) {
        // The port may have been taken between the check and the bind.
        if (attempt >= 3) throw err;
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}
