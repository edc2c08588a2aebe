import { readdir, readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import type { ObservedDatabase, Runtime } from '../../src/runtime/runtime.js';

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
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
