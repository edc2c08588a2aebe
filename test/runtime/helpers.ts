import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import type { ObservedDatabase, Progress, Runtime } from '../../src/runtime/runtime.js';

const exec = promisify(execFile);

/** Connects to a Redis member with the database's password (the test's own client). */
export async function redisClient(port: number, password: string): Promise<Redis> {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined); // failures surface through connect() and commands
  try {
    await r.connect();
  } catch (err) {
    r.disconnect();
    throw err;
  }
  return r;
}

/** Runs one query as postgres with the database's password, on a fresh connection. */
export async function pgQuery(port: number, password: string, sql: string): Promise<unknown[]> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  await c.connect();
  try {
    return (await c.query(sql)).rows as unknown[];
  } finally {
    await c.end();
  }
}

/** Waits until every member of a database is running; returns the observation. */
export function waitRunning(
  rt: Runtime,
  db: string,
  timeoutMs = 30_000,
): Promise<ObservedDatabase> {
  return waitFor(
    systemClock,
    `${db} running`,
    async () => {
      const o = await rt.observe(db);
      return o && o.members.length > 0 && o.members.every((m) => m.running) ? o : undefined;
    },
    { timeoutMs },
  );
}

/** Pids of live processes whose command line mentions `needle` (duplicate detection). */
export async function processesMentioning(needle: string): Promise<number[]> {
  return processesMentioningAll([needle]);
}

/** Pids of live processes whose command line (NUL-separated) contains every needle. */
export async function processesMentioningAll(needles: string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (needles.every((n) => cmd.includes(n))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const sbinEnv = { PATH: '/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin', LANG: 'C' };

/** Mount points under `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Loop devices whose backing file lies under `dir` (`losetup -a`). */
export async function loopDevicesUnder(dir: string): Promise<string[]> {
  const { stdout } = await exec('losetup', ['-n', '-O', 'NAME,BACK-FILE'], { env: sbinEnv }).catch(
    () => ({ stdout: '' }),
  );
  return stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, back]) => back?.startsWith(`${dir}/`))
    .map(([dev]) => dev ?? '');
}

/**
 * Safety net for tests: unmounts every mount under `dir` (lazily when busy) and detaches
 * every loop device backed by a file under it, so that `rm -r dir` is safe. Never throws.
 */
export async function releaseLoops(dir: string): Promise<void> {
  for (const mp of await mountsUnder(dir)) {
    await exec('umount', [mp], { env: sbinEnv }).catch(() =>
      exec('umount', ['-l', mp], { env: sbinEnv }).catch(() => undefined),
    );
  }
  for (const dev of await loopDevicesUnder(dir)) {
    await exec('losetup', ['-d', dev], { env: sbinEnv }).catch(() => undefined);
  }
}

/**
 * Calls `call` until the runtime says it is done (a runtime may answer "waiting": a PVC
 * resizing, pods coming up) and returns its value; fails after `timeoutMs`.
 */
export async function untilDone<T>(
  what: string,
  call: () => Promise<Progress<T>>,
  timeoutMs = 60_000,
): Promise<T> {
  let waiting = '';
  const r = await waitFor(
    systemClock,
    what,
    async () => {
      const p = await call();
      if (!p.done) waiting = p.waiting;
      return p.done ? { value: p.value } : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch((err: unknown) => {
    // Say what the runtime was still waiting for: that is what a reader of the failure needs.
    throw new Error(`${(err as Error).message}; last: ${waiting || 'no answer'}`, { cause: err });
  });
  return r.value;
}
