// A Postgres with streamingMode: Synchronous on the local runtime: commits wait for the
// standby. A standby that stops acknowledging (its WAL receiver stopped, as a hung or cut-off
// standby would) blocks a commit on the primary, the status says why, and the commit returns
// once the standby is back.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { pgClient } from '../helpers/autoscale.js';
import { pushFiles } from '../helpers/git-work.js';
import { postgres } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const run = promisify(execFile);

const files = {
  'databases/orders.yaml': postgres('orders', {
    storage: '256Mi',
    deletionPolicy: 'WipeOut',
    spec: `  streamingMode: Synchronous
  configuration:
    inline:
      user.conf: |
        wal_sender_timeout = '2s'
`,
  }),
};

/** The pid of the WAL receiver under a standby's postmaster. */
async function walReceiverOf(postmaster: number): Promise<number> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(postmaster)]);
  const line = stdout.split('\n').find((l) => /walreceiver/.test(l));
  if (!line) throw new Error(`no walreceiver under ${postmaster}:\n${stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

const replication = (s: Awaited<ReturnType<TestEnv['converge']>>) =>
  db(s, 'orders').conditions.find((c) => c.type === 'ReplicationHealthy');

describe('synchronous replication (local runtime)', () => {
  let env: TestEnv;
  let stopped: number | undefined;

  beforeAll(async () => {
    env = await startEnv(files);
    await env.until('orders Ready', (s) => db(s, 'orders').phase === 'Ready');
  });
  afterAll(async () => {
    if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
    await env?.close();
  });

  it('sets synchronous_standby_names on the primary and shows the standby as synchronous', async () => {
    const c = await pgClient(env.app.runtime, 'orders');
    try {
      const show = async (name: string) =>
        (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name];
      expect(await show('synchronous_standby_names')).toBe('ANY 1 ("orders-0", "orders-1")');
      expect(await show('synchronous_commit')).toBe('remote_write');
    } finally {
      await c.end();
    }
    const s = await env.converge();
    expect(db(s, 'orders').members.find((m) => m.name === 'orders-1')?.syncState).toBe('quorum');
    expect(replication(s)?.status).toBe('True');
    expect(replication(s)?.message).toMatch(
      /commits wait for ANY 1 of orders-1, synchronous now: orders-1$/,
    );
  });

  it('a commit blocks while the standby does not acknowledge, the status says why, and it returns once the standby is back', async () => {
    const standby = (await env.app.runtime.observe('orders'))!.members.find(
      (m) => m.name === 'orders-1',
    )!;
    const c = await pgClient(env.app.runtime, 'orders');
    try {
      await c.query('CREATE TABLE t (v int)');
      stopped = await walReceiverOf(Number(standby.instance));
      process.kill(stopped, 'SIGSTOP');
      let committed = false;
      const commit = c.query('INSERT INTO t VALUES (1)').then(() => {
        committed = true;
      });
      const s = await env.until(
        'the status to name the missing synchronous standby',
        (st) => replication(st)?.reason === 'SynchronousStandbysMissing',
      );
      expect(replication(s)?.message).toMatch(
        /^commits on orders-0 wait: 0 of 1 synchronous standby\(s\) connected \(streamingMode Synchronous, ANY 1 of orders-1\); bring a standby back, or set spec.streamingMode: Asynchronous/,
      );
      expect(db(s, 'orders').phase).not.toBe('Ready');
      // The primary noticed (wal_sender_timeout) long after the commit was sent: still waiting.
      expect(committed).toBe(false);

      process.kill(stopped, 'SIGCONT');
      stopped = undefined;
      await commit;
      await env.until('orders Ready again', (st) => db(st, 'orders').phase === 'Ready');
    } finally {
      await c.end();
    }
    const r = await pgClient(env.app.runtime, 'orders', 'standby');
    try {
      await waitFor(
        systemClock,
        'the row on the standby',
        async () => ((await r.query('SELECT v FROM t')).rowCount === 1 ? true : undefined),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await r.end();
    }
  });

  it('streamingMode Asynchronous in Git applies with a reload: commits no longer wait, no restart', async () => {
    const before = (await env.app.runtime.observe('orders'))!.members.map((m) => m.instance);
    await pushFiles(
      env.url,
      {
        'databases/orders.yaml': files['databases/orders.yaml'].replace(
          'streamingMode: Synchronous',
          'streamingMode: Asynchronous',
        ),
      },
      'orders: asynchronous streaming',
    );
    const s = await env.until(
      'orders without synchronous standbys',
      (st) =>
        db(st, 'orders').phase === 'Ready' &&
        /^1 standby\(s\) streaming$/.test(replication(st)?.message ?? ''),
    );
    expect(db(s, 'orders').members.find((m) => m.name === 'orders-1')?.syncState).toBe('async');
    const c = await pgClient(env.app.runtime, 'orders');
    try {
      const { rows } = await c.query<{ names: string }>(
        "SELECT current_setting('synchronous_standby_names') AS names",
      );
      expect(rows[0]?.names).toBe('');
    } finally {
      await c.end();
    }
    expect((await env.app.runtime.observe('orders'))!.members.map((m) => m.instance)).toEqual(
      before,
    );
  });
});
