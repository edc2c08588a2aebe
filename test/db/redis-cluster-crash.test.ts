import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ensureCluster, type ClusterMember } from '../../src/db/redis/cluster.js';
import { redisCli, RedisServers } from '../helpers/redis-servers.js';

const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password });
const names = [0, 1, 2].flatMap((s) => [0, 1].map((o) => `db-shard${s}-${o}`));

function members(): ClusterMember[] {
  return names.map((name) => {
    const s = servers.get(name);
    const [, shard, ordinal] = /shard(\d+)-(\d+)$/.exec(name) ?? [];
    return { name, shard: Number(shard), ordinal: Number(ordinal), host: s.host, port: s.port };
  });
}

function client(name: string): Redis {
  const s = servers.get(name);
  const r = new Redis({
    host: s.host,
    port: s.port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  r.on('error', () => undefined);
  return r;
}

describe('ensureCluster after a crash in the middle of creation', () => {
  beforeAll(async () => {
    await servers.startAll(names);
  });
  afterAll(async () => {
    await servers.cleanup();
  });

  it('completes the cluster without moving the slots already assigned, and keeps the data', async () => {
    // By hand, as a controller killed mid-way would leave it: one shard's slots and one MEET.
    const first = client('db-shard0-0');
    await first.connect();
    let key = '';
    try {
      await first.call('CLUSTER', 'ADDSLOTSRANGE', '0', '5461');
      const s1 = servers.get('db-shard1-0');
      await first.call('CLUSTER', 'MEET', s1.host, String(s1.port));
      // Lets the half-built cluster take writes, so there is data to keep.
      await first.call('CONFIG', 'SET', 'cluster-require-full-coverage', 'no');
      for (let i = 0; Number(await first.call('CLUSTER', 'KEYSLOT', `k${i}`)) > 5461; i++)
        key = `k${i + 1}`;
      key ||= 'k0';
      await waitFor(
        systemClock,
        'shard 0 to accept writes',
        async () => ((await first.set(key, 'early')) === 'OK' ? true : undefined),
        {
          timeoutMs: 15_000,
          intervalMs: 200,
        },
      );
    } finally {
      first.disconnect();
    }
    const firstId = await (async () => {
      const r = client('db-shard0-0');
      await r.connect();
      try {
        return String(await r.call('CLUSTER', 'MYID'));
      } finally {
        r.disconnect();
      }
    })();

    const report = await ensureCluster({
      members: members(),
      password,
      clock: systemClock,
      log: silentLogger(),
      timeoutMs: 30_000,
    });
    expect(report.state).toBe('ok');
    expect(report.created).toBe(false);
    expect(report.actions.filter((a) => a.startsWith('assign '))).toEqual([
      'assign slots 5462-10922 to db-shard1-0',
      'assign slots 10923-16383 to db-shard2-0',
    ]);

    const res = await redisCli(
      ['--cluster', 'check', `127.0.0.1:${servers.get('db-shard2-1').port}`],
      password,
    );
    expect(res.stdout).toContain('[OK] All 16384 slots covered');
    expect(res.code).toBe(0);
    const r = client('db-shard0-0');
    await r.connect();
    try {
      const slots = (await r.call('CLUSTER', 'SLOTS')) as [
        number,
        number,
        [string, number, string],
      ][];
      expect(slots.find(([a]) => a === 0)?.[2]?.[2]).toBe(firstId);
      expect(await r.get(key)).toBe('early');
    } finally {
      r.disconnect();
    }
  });
});
