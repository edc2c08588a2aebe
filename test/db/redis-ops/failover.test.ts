import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../../src/errors.js';
import { systemClock, waitFor } from '../../../src/platform/clock.js';
import { silentLogger } from '../../../src/platform/logger.js';
import { ensureCluster, type ClusterMember } from '../../../src/db/redis/cluster.js';
import { failoverShard, waitReplicaInSync } from '../../../src/db/redis/failover.js';
import { observeRedis } from '../../../src/db/redis/observe.js';
import { redisCli, RedisServers } from '../../helpers/redis-servers.js';
import { connectCluster } from './client.js';
import { startWriter, summarize, valueOf } from './writer.js';

const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password });
const names = [0, 1, 2].flatMap((s) => [0, 1].map((o) => `ops-shard${s}-${o}`));
const log = silentLogger();
const clock = systemClock;
let client: Cluster | undefined;

function members(): ClusterMember[] {
  return names.map((name) => {
    const s = servers.get(name);
    const [, shard, ordinal] = /shard(\d+)-(\d+)$/.exec(name) ?? [];
    return { name, shard: Number(shard), ordinal: Number(ordinal), host: s.host, port: s.port };
  });
}
const addr = (name: string) => ({ host: servers.get(name).host, port: servers.get(name).port });
const failover = (master: string, replica: string) =>
  failoverShard({ master: addr(master), replica: addr(replica), password, clock, log });

async function clusterCheck(name: string): Promise<void> {
  const res = await redisCli(
    ['--cluster', 'check', `127.0.0.1:${servers.get(name).port}`],
    password,
  );
  expect(res.stdout).toContain('[OK] All 16384 slots covered');
  expect(res.stdout).not.toContain('[ERR]');
  expect(res.code).toBe(0);
}

/** A hash tag whose slot is in shard 0 (slots 0-5461), so half the writes hit that shard. */
async function tagInShard0(c: Cluster): Promise<string> {
  for (let i = 0; ; i++) {
    if (Number(await c.call('CLUSTER', 'KEYSLOT', `t${i}`)) <= 5461) return `t${i}`;
  }
}

/**
 * Fails shard 0 over from `from` to `to` under a continuous writer and returns the figures.
 * Writes for at least 3 s in all, and for 500 more acknowledged writes after the failover.
 */
async function failoverUnderLoad(from: string, to: string, run: string) {
  const c = client ?? (client = await connectCluster([addr(names[0] ?? '')], password));
  const tag = await tagInShard0(c);
  const keyOf = (i: number) => (i % 2 === 0 ? `{${tag}}:${run}:${i}` : `${run}:${i}`);
  const writer = startWriter(c, { clock, keyOf });
  const begin = clock.now();
  try {
    await waitFor(
      clock,
      '300 writes before the failover',
      () => writer.samples.length >= 300 || undefined,
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    const t0 = clock.now();
    const result = await failover(from, to);
    const t1 = clock.now();
    const after = writer.samples.length;
    await waitFor(
      clock,
      '3 s of writes and 500 after the failover',
      () => (clock.now() - begin >= 3000 && writer.samples.length >= after + 500) || undefined,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    await writer.stop();
    const failed = writer.samples.filter((s) => s.error !== undefined);
    expect(failed.slice(0, 5).map((s) => `${s.key}: ${s.error}`)).toEqual([]);
    const acked = writer.samples.filter((s) => s.error === undefined).map((s) => s.key);
    const values = await Promise.all(acked.map((k) => c.get(k)));
    expect(values.filter((v, i) => v !== valueOf(acked[i] ?? '')).length).toBe(0);
    return {
      result,
      durationMs: t1 - t0,
      during: summarize(writer.samples, t0, t1),
      all: summarize(writer.samples),
      seconds: (clock.now() - begin) / 1000,
    };
  } finally {
    await writer.stop();
  }
}

describe('failoverShard on a 3 x 2 cluster of real redis-server processes', () => {
  beforeAll(async () => {
    await servers.startAll(names);
    const report = await ensureCluster({
      members: members(),
      password,
      clock,
      log,
      timeoutMs: 30_000,
    });
    expect(report.state).toBe('ok');
  });
  afterAll(async () => {
    client?.disconnect();
    await servers.cleanup();
  });

  it('waits for a replica in sync', async () => {
    const res = await waitReplicaInSync({
      master: addr('ops-shard1-0'),
      replica: addr('ops-shard1-1'),
      password,
      clock,
      timeoutMs: 10_000,
    });
    expect(res.lagBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('swaps the roles with zero failed writes for a client writing all along', async () => {
    const figures = await failoverUnderLoad('ops-shard0-0', 'ops-shard0-1', 'a');
    console.log('failover figures', JSON.stringify(figures));
    expect(figures.result).toEqual({ performed: true });
    expect(figures.during.writes).toBeGreaterThan(0);
    expect(figures.seconds).toBeGreaterThanOrEqual(3);
    expect(await observeRedis({ ...addr('ops-shard0-1'), password })).toMatchObject({
      role: 'master',
      connectedReplicas: 1,
    });
    expect(await observeRedis({ ...addr('ops-shard0-0'), password })).toMatchObject({
      role: 'replica',
      masterLinkUp: true,
    });
    await clusterCheck('ops-shard2-1');
  });

  it('does nothing the second time', async () => {
    expect(await failover('ops-shard0-0', 'ops-shard0-1')).toEqual({ performed: false });
    await clusterCheck('ops-shard0-0');
  });

  it('fails back, again with zero failed writes', async () => {
    const figures = await failoverUnderLoad('ops-shard0-1', 'ops-shard0-0', 'b');
    console.log('failback figures', JSON.stringify(figures));
    expect(figures.result).toEqual({ performed: true });
    expect((await observeRedis({ ...addr('ops-shard0-0'), password })).role).toBe('master');
    await clusterCheck('ops-shard1-0');
  });

  it('refuses a pair that is not master and replica of one shard, changing nothing', async () => {
    const err: unknown = await failover('ops-shard1-0', 'ops-shard2-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect(err).toMatchObject({ code: codes.clusterFailed, retry: 'stalled' });
    expect((await observeRedis({ ...addr('ops-shard2-1'), password })).role).toBe('replica');
  });

  it('reports a replica of another master as not in sync, with what it saw', async () => {
    const err: unknown = await waitReplicaInSync({
      master: addr('ops-shard1-0'),
      replica: addr('ops-shard2-1'),
      password,
      clock,
      timeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: codes.replicationFailed, retry: 'transient' });
    expect((err as Error).message).toContain('follows another master');
  });
});
