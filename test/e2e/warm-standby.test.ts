// A Postgres with standbyMode: Warm on the local runtime: the standby runs with hot_standby
// off, refuses every connection (57P03, "Hot standby mode is disabled"), and is still Ready
// and streaming, as the primary's pg_stat_replication shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClient } from '../helpers/autoscale.js';
import { postgres } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const files = {
  'databases/orders.yaml': postgres('orders', {
    storage: '256Mi',
    deletionPolicy: 'WipeOut',
    spec: '  standbyMode: Warm\n',
  }),
};

describe('warm standbys (local runtime)', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv(files);
    await env.until('orders Ready', (s) => db(s, 'orders').phase === 'Ready');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('the standby refuses a read, and the database is Ready with it streaming', async () => {
    const err: unknown = await pgClient(env.app.runtime, 'orders', 'standby').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: '57P03', detail: 'Hot standby mode is disabled.' });
    const s = await env.converge();
    const replication = db(s, 'orders').conditions.find((c) => c.type === 'ReplicationHealthy');
    expect(replication).toMatchObject({ status: 'True', message: '1 standby(s) streaming' });
    expect(db(s, 'orders').members.map((m) => [m.name, m.role])).toEqual([
      ['orders-0', 'primary'],
      ['orders-1', 'standby'],
    ]);
  });

  it('a row written on the primary is replayed by the warm standby', async () => {
    const c = await pgClient(env.app.runtime, 'orders');
    try {
      await c.query('CREATE TABLE t (v int)');
      const lsn = (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))
        .rows[0]!.lsn;
      const deadline = Date.now() + 30_000;
      let replayed = false;
      while (!replayed && Date.now() < deadline) {
        const r = await c.query<{ ok: boolean }>(
          "SELECT coalesce(bool_and(replay_lsn >= $1::pg_lsn), false) AS ok FROM pg_stat_replication WHERE application_name = 'orders-1'",
          [lsn],
        );
        replayed = r.rows[0]!.ok;
        if (!replayed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(replayed).toBe(true);
    } finally {
      await c.end();
    }
  });
});
