import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AutoscalerStatus } from '../../src/api/status.js';
import { renderMetrics } from '../../src/http/metrics.js';
import { autoscaler, pgClient, redisClient } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { postgres, redisStandalone } from '../helpers/manifests.js';

const Mi = 1024 * 1024;
const quiet = 'trigger: "On"\nusageThreshold: 95\n';
const usage = (a: AutoscalerStatus | undefined) => {
  if (!a?.usage) throw new Error('the autoscaler has no sample yet');
  return a.usage;
};

describe('storage autoscaler: database-reported sizes in status and metrics (directory volumes)', () => {
  let env: TestEnv;
  const filled = { kv: 6 * Mi, ledger: 0 };

  beforeAll(async () => {
    env = await startEnv({
      'databases/kv.yaml': redisStandalone('kv', {
        storage: '64Mi',
        config: 'auto-aof-rewrite-percentage 0',
      }),
      'databases/ledger.yaml': postgres('ledger', { replicas: 1, storage: '256Mi' }),
      'autoscalers/kv.yaml': autoscaler('Redis', 'kv', quiet),
      'autoscalers/ledger.yaml': autoscaler('Postgres', 'ledger', quiet),
    });
    await env.until('ready', (s) => ['kv', 'ledger'].every((n) => db(s, n).phase === 'Ready'));
    const r = await redisClient(env.app.runtime, 'kv');
    const chunk = 'x'.repeat(Mi);
    for (let i = 0; i < filled.kv / Mi; i++) await r.set(`fill:${i}`, chunk);
    r.disconnect();
    const p = await pgClient(env.app.runtime, 'ledger');
    await p.query('CREATE TABLE fill (id int, pad text)');
    await p.query(
      `INSERT INTO fill SELECT g, string_agg(md5(g::text || ':' || r::text), '')
       FROM generate_series(1, 5000) g, generate_series(1, 32) r GROUP BY g`,
    );
    filled.ledger = Number(
      (await p.query<{ n: string }>(`SELECT pg_total_relation_size('fill') AS n`)).rows[0]!.n,
    );
    await p.end();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('each member shows what its server reports, next to the volume; /metrics has the gauge', async () => {
    await env.app.autoscaler.tick();
    const s = await env.converge();
    for (const name of ['kv', 'ledger'] as const) {
      const u = usage(s.autoscalers.find((a) => a.database === name));
      expect(u.dataSampledAt).toBe(u.sampledAt);
      const [m] = u.members;
      expect(u.members).toHaveLength(1);
      expect(m!.dataBytes).toBeGreaterThan(filled[name] / 2);
      expect(await renderMetrics(s)).toContain(
        `dbops_autoscaler_database_bytes{database="${name}",member="${m!.member}"} ${m!.dataBytes}`,
      );
    }
    expect(await renderMetrics(s)).toContain('# TYPE dbops_autoscaler_database_bytes gauge');
  });

  it('the next round within 30 s samples the volume again but keeps the sizes it read', async () => {
    const before = usage((await env.converge()).autoscalers.find((a) => a.database === 'kv'));
    const r = await redisClient(env.app.runtime, 'kv');
    await r.set('fill:more', 'y'.repeat(Mi));
    r.disconnect();
    await env.app.autoscaler.tick();
    const after = usage((await env.converge()).autoscalers.find((a) => a.database === 'kv'));
    expect(Date.parse(after.sampledAt)).toBeGreaterThanOrEqual(Date.parse(before.sampledAt));
    expect(after.dataSampledAt).toBe(before.dataSampledAt);
    expect(after.members[0]!.dataBytes).toBe(before.members[0]!.dataBytes);
  });
});
