import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ensureCluster, type ClusterMember } from '../../src/db/redis/cluster.js';
import { observeRedis } from '../../src/db/redis/observe.js';
import { freeClusterPort, redisCli, RedisServers } from '../helpers/redis-servers.js';

// One cluster goes through the scenarios in order: create, failover, new port, repair.
const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password });
const names = [0, 1, 2].flatMap((s) => [0, 1].map((o) => `cache-shard${s}-${o}`));
const log = silentLogger();

function members(): ClusterMember[] {
  return names.map((name) => {
    const s = servers.get(name);
    const [, shard, ordinal] = /shard(\d+)-(\d+)$/.exec(name) ?? [];
    return { name, shard: Number(shard), ordinal: Number(ordinal), host: s.host, port: s.port };
  });
}

const ensure = () =>
  ensureCluster({ members: members(), password, clock: systemClock, log, timeoutMs: 30_000 });

async function withClient<T>(name: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const s = servers.get(name);
  const r = new Redis({
    host: s.host,
    port: s.port,
    password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** name -> { id, masterId } as `name` sees the whole cluster, mapped back to member names. */
async function topologyAsSeenBy(
  name: string,
): Promise<Map<string, { role: string; master?: string }>> {
  const text = String(await withClient(name, (r) => r.call('CLUSTER', 'NODES')));
  const byPort = new Map(names.map((n) => [servers.get(n).port, n]));
  const rows = text
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const nameOfId = new Map(rows.map((f) => [f[0], byPort.get(Number(f[1]?.split(/[:@]/)[1]))]));
  const out = new Map<string, { role: string; master?: string }>();
  for (const f of rows) {
    const n = nameOfId.get(f[0]);
    if (!n) continue;
    const role = f[2]?.includes('slave') ? 'replica' : 'master';
    out.set(n, role === 'replica' ? { role, master: nameOfId.get(f[3]) } : { role });
  }
  return out;
}

async function check(name: string): Promise<void> {
  const res = await redisCli(
    ['--cluster', 'check', `127.0.0.1:${servers.get(name).port}`],
    password,
  );
  expect(res.stdout).toContain('[OK] All 16384 slots covered');
  expect(res.stdout).not.toContain('[ERR]');
  expect(res.code).toBe(0);
}

describe('ensureCluster on 3 shards x 2 real redis-server processes', () => {
  beforeAll(async () => {
    await servers.startAll(names);
  });
  afterAll(async () => {
    await servers.cleanup();
  });

  it('creates the cluster, and a second call has nothing to do', async () => {
    const report = await ensure();
    expect(report.state).toBe('ok');
    expect(report.created).toBe(true);
    expect(report.actions).toContain('assign slots 0-5461 to cache-shard0-0');
    expect(report.actions).toContain('cache-shard2-1 replicates cache-shard2-0');
    await check('cache-shard1-1');
    const seen = await topologyAsSeenBy('cache-shard0-0');
    for (const shard of [0, 1, 2]) {
      expect(seen.get(`cache-shard${shard}-0`)).toEqual({ role: 'master' });
      expect(seen.get(`cache-shard${shard}-1`)).toEqual({
        role: 'replica',
        master: `cache-shard${shard}-0`,
      });
    }
    const again = await ensure();
    expect(again).toMatchObject({ state: 'ok', created: false, actions: [], problems: [] });
  });

  it('observeRedis reports a master and a replica', async () => {
    const m = servers.get('cache-shard0-0');
    const master = await observeRedis({ host: m.host, port: m.port, password });
    expect(master).toMatchObject({ role: 'master', connectedReplicas: 1 });
    expect(master.version).toMatch(/^7\.0\./);
    expect(master.usedMemoryBytes).toBeGreaterThan(0);
    expect(master.cluster).toEqual({ state: 'ok', knownNodes: 6, slotsAssigned: 16384 });
    const r = servers.get('cache-shard0-1');
    const replica = await observeRedis({ host: r.host, port: r.port, password });
    expect(replica).toMatchObject({ role: 'replica', masterLinkUp: true, connectedReplicas: 0 });
  });

  it('turns a failed-over master that comes back into a replica of the new master', async () => {
    // A key whose slot is shard 0's, written to its master and acknowledged by its replica.
    const key = await withClient('cache-shard0-0', async (r) => {
      let k = 'k0';
      for (let i = 1; Number(await r.call('CLUSTER', 'KEYSLOT', k)) > 5461; i++) k = `k${i}`;
      await r.set(k, 'kept');
      expect(await r.call('WAIT', '1', '5000')).toBe(1);
      return k;
    });
    const oldPort = servers.get('cache-shard0-0').port;
    await servers.kill('cache-shard0-0');
    await waitFor(
      systemClock,
      'cache-shard0-1 to be promoted',
      () =>
        withClient('cache-shard0-1', async (r) =>
          (await r.info('replication')).includes('role:master') ? true : undefined,
        ),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await servers.start('cache-shard0-0', oldPort);
    const report = await ensure();
    expect(report.state).toBe('ok');
    expect(report.roles).toMatchObject({ 'cache-shard0-0': 'replica', 'cache-shard0-1': 'master' });
    expect((await topologyAsSeenBy('cache-shard2-0')).get('cache-shard0-0')).toEqual({
      role: 'replica',
      master: 'cache-shard0-1',
    });
    expect(await withClient('cache-shard0-1', (r) => r.get(key))).toBe('kept');
    await check('cache-shard0-0');
  });

  it('meets a member again after it restarts on a new port', async () => {
    const oldPort = servers.get('cache-shard2-1').port;
    await servers.restart('cache-shard2-1', { newPort: true });
    const newPort = servers.get('cache-shard2-1').port;
    expect(newPort).not.toBe(oldPort);
    const report = await ensure();
    expect(report.state).toBe('ok');
    for (const n of names) {
      const text = String(await withClient(n, (r) => r.call('CLUSTER', 'NODES')));
      expect(text).toContain(`127.0.0.1:${newPort}@`);
    }
    expect((await topologyAsSeenBy('cache-shard0-1')).get('cache-shard2-1')).toEqual({
      role: 'replica',
      master: 'cache-shard2-0',
    });
    await check('cache-shard2-1');
  });

  it('meets every member again after all of them restart on new ports', async () => {
    // Nobody can reach anybody at the addresses in nodes.conf: Redis cannot heal this alone.
    await Promise.all(names.map((n) => servers.stop(n)));
    await Promise.all(names.map((n) => servers.start(n)));
    const report = await ensure();
    expect(report.state).toBe('ok');
    expect(report.actions.filter((a) => a.startsWith('meet ')).length).toBeGreaterThan(0);
    expect(report.actions.some((a) => a.startsWith('assign '))).toBe(false);
    // Nodes that cannot reach a master at its old address may fail it over meanwhile: any
    // member may be the master, but each shard must have exactly one.
    for (const shard of [0, 1, 2]) {
      const roles = [0, 1].map((o) => report.roles[`cache-shard${shard}-${o}`]).sort();
      expect(roles).toEqual(['master', 'replica']);
    }
    await check('cache-shard1-0');
  });

  it('moves a replica that serves the wrong shard back to its own master', async () => {
    const seen = await topologyAsSeenBy('cache-shard0-0');
    const masterOf = (shard: number) =>
      [0, 1].map((o) => `cache-shard${shard}-${o}`).find((n) => seen.get(n)?.role === 'master');
    const [own, other] = [masterOf(1), masterOf(2)];
    const replica = [0, 1].map((o) => `cache-shard1-${o}`).find((n) => n !== own);
    if (!own || !other || !replica) throw new Error('shards 1 and 2 need a master each');
    const otherId = String(await withClient(other, (r) => r.call('CLUSTER', 'MYID')));
    await withClient(replica, (r) => r.call('CLUSTER', 'REPLICATE', otherId));
    const report = await ensure();
    expect(report.actions).toEqual([`${replica} replicates ${own}`]);
    expect(report.state).toBe('ok');
    expect((await topologyAsSeenBy(other)).get(replica)).toEqual({ role: 'replica', master: own });
    await check(replica);
  });

  it('throws DbopsError cluster on a wrong password, without the password', async () => {
    const wrong = `${password}-wrong`;
    const err: unknown = await ensureCluster({
      members: members(),
      password: wrong,
      clock: systemClock,
      log,
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.clusterFailed);
    expect((err as DbopsError).retry).toBe('stalled');
    expect((err as DbopsError).message).not.toContain(password);
  });

  it('throws DbopsError cluster when a member stays unreachable past the deadline', async () => {
    const ghost = {
      name: 'cache-shard3-0',
      shard: 3,
      ordinal: 0,
      host: '127.0.0.1',
      port: await freeClusterPort(),
    };
    const err: unknown = await ensureCluster({
      members: [...members(), ghost],
      password,
      clock: systemClock,
      log,
      timeoutMs: 1500,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.clusterFailed);
    expect((err as DbopsError).message).toContain('cache-shard3-0');
  });
});
