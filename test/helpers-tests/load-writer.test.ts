import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCluster, type ClusterMember } from '../../src/db/redis/cluster.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import {
  startPostgresLoad,
  startRedisLoad,
  type LoadReport,
  type LoadWriter,
} from '../helpers/load-writer.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import { redisCli, RedisServers } from '../helpers/redis-servers.js';
import { killPostgres, restartPostgres, type RestartedPostgres } from './postgres-restart.js';

const password = `pw-${Math.random().toString(36).slice(2)}`;
const clock = systemClock;
const figures: Record<string, LoadReport> = {};

/** Runs a load until 2.5k writes are acknowledged (about 2 s at the default rate), then verifies. */
async function steadyRun(name: string, start: () => Promise<LoadWriter>): Promise<LoadReport> {
  const w = await start();
  await waitFor(
    clock,
    '2500 acknowledged writes',
    () => w.progress().acknowledged >= 2500 || undefined,
    {
      timeoutMs: 20_000,
      intervalMs: 50,
    },
  );
  const report = await w.verify();
  figures[name] = report;
  return report;
}

function expectClean(r: LoadReport): void {
  expect(r.errors, JSON.stringify(r)).toEqual([]);
  expect(r.failed).toBe(0);
  expect(r.lost, JSON.stringify(r)).toBe(0);
  expect(r.durationMs).toBeGreaterThanOrEqual(1900);
  expect(r.acknowledged / r.durationMs).toBeGreaterThanOrEqual(1);
  expect(r.p50Ms).toBeGreaterThan(0);
  expect(r.maxMs).toBeGreaterThanOrEqual(r.p99Ms);
}

/** Waits until the load reports failures, with a deadline. */
const failuresSeen = (w: LoadWriter) =>
  waitFor(clock, 'the load to count a failed write', () => w.progress().failed > 0 || undefined, {
    timeoutMs: 30_000,
    intervalMs: 50,
  });

/** Waits until `n` more writes are acknowledged than now. */
const moreAcks = async (w: LoadWriter, n: number) => {
  const from = w.progress().acknowledged;
  await waitFor(
    clock,
    `${n} more acknowledged writes`,
    () => w.progress().acknowledged >= from + n || undefined,
    {
      timeoutMs: 30_000,
      intervalMs: 50,
    },
  );
};

describe('load writer against a standalone Redis', () => {
  const servers = new RedisServers({ password, cluster: false });
  const endpoints = () => [{ host: '127.0.0.1', port: servers.get('solo').port }];
  beforeAll(async () => {
    await servers.start('solo');
  });
  afterAll(() => servers.cleanup());

  it('holds >= 1 acknowledged write/ms with no failure and no loss', async () => {
    expectClean(
      await steadyRun('redis standalone', () =>
        startRedisLoad({ endpoints: endpoints(), password, cluster: false }),
      ),
    );
  });

  it('stops by itself after maxDurationMs', async () => {
    const w = await startRedisLoad({
      endpoints: endpoints(),
      password,
      cluster: false,
      maxDurationMs: 300,
    });
    const r = await w.verify().then(() => w.verify());
    expect(r.durationMs).toBeLessThan(1000);
    expect(r.attempted).toBeLessThanOrEqual(Math.ceil(1.25 * 300));
    expect(r.lost, JSON.stringify(r)).toBe(0);
  });

  it('counts failed writes while the server is killed, and loses nothing acknowledged', async () => {
    const w = await startRedisLoad({ endpoints: endpoints(), password, cluster: false });
    await moreAcks(w, 500);
    const port = servers.get('solo').port;
    await servers.kill('solo');
    await failuresSeen(w);
    await servers.start('solo', port);
    await moreAcks(w, 500);
    const r = await w.verify();
    figures['redis standalone, kill -9 + restart'] = r;
    expect(r.failed, JSON.stringify(r)).toBeGreaterThan(0);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.attempted).toBe(r.acknowledged + r.failed);
    expect(r.lost, JSON.stringify(r)).toBe(0);
  });
});

describe('load writer against a 3x2 Redis Cluster', () => {
  const servers = new RedisServers({ password, nodeTimeoutMs: 1000 });
  const names = [0, 1, 2].flatMap((s) => [0, 1].map((o) => `load-shard${s}-${o}`));
  const members = (): ClusterMember[] =>
    names.map((name, i) => ({
      name,
      shard: Math.floor(i / 2),
      ordinal: i % 2,
      host: '127.0.0.1',
      port: servers.get(name).port,
    }));
  const ensure = () =>
    ensureCluster({ members: members(), password, clock, log: silentLogger(), timeoutMs: 60_000 });
  beforeAll(async () => {
    await servers.startAll(names);
    expect((await ensure()).state).toBe('ok');
  });
  afterAll(() => servers.cleanup());

  it('holds >= 1 acknowledged write/ms with no failure and no loss', async () => {
    const r = await steadyRun('redis cluster 3x2', () =>
      startRedisLoad({ endpoints: members(), password, cluster: true }),
    );
    expectClean(r);
  });

  it('counts failed writes while a whole shard is down, and loses nothing acknowledged', async () => {
    const w = await startRedisLoad({ endpoints: members(), password, cluster: true });
    await moreAcks(w, 500);
    const [master, replica] = ['load-shard1-0', 'load-shard1-1'].map((n) => servers.get(n));
    if (!master || !replica) throw new Error('no shard 1');
    await Promise.all([servers.kill(master.name), servers.kill(replica.name)]);
    await failuresSeen(w);
    // The master first, and the replica only once every node serves all slots again: a replica
    // back first could win an election with older data and really lose acknowledged writes.
    await servers.start(master.name, master.port);
    const running = names.filter((n) => n !== replica.name).map((n) => servers.get(n));
    await waitFor(
      clock,
      'cluster_state:ok on every running node',
      async () => {
        const infos = await Promise.all(
          running.map((s) => redisCli(['-p', String(s.port), 'cluster', 'info'], password)),
        );
        return infos.every((i) => i.stdout.includes('cluster_state:ok')) || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    await servers.start(replica.name, replica.port);
    expect((await ensure()).state).toBe('ok');
    await moreAcks(w, 500);
    const r = await w.verify();
    figures['redis cluster, shard kill -9 + restart'] = r;
    expect(r.failed, JSON.stringify(r)).toBeGreaterThan(0);
    expect(r.errors.join('\n')).toMatch(
      /Too many Cluster redirections|Connection is closed|CLUSTERDOWN/,
    );
    expect(r.lost, JSON.stringify(r)).toBe(0);
  });
});

describe('load writer against Postgres 15', () => {
  let server: TestPostgres;
  let restarted: RestartedPostgres | undefined;
  const target = () => ({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await restarted?.stop();
    await server?.cleanup();
  });

  it('holds >= 1 acknowledged write/ms with no failure and no loss', async () => {
    expectClean(await steadyRun('postgres', () => startPostgresLoad(target())));
  });

  it('counts failed writes while the server is killed, and loses nothing acknowledged', async () => {
    const w = await startPostgresLoad({ ...target(), table: 'load_kill' });
    await moreAcks(w, 500);
    await killPostgres(server.dataDir);
    await failuresSeen(w);
    restarted = await restartPostgres(server.dataDir, server.port);
    await moreAcks(w, 500);
    const r = await w.verify();
    figures['postgres, kill -9 + restart'] = r;
    expect(r.failed, JSON.stringify(r)).toBeGreaterThan(0);
    expect(r.attempted).toBe(r.acknowledged + r.failed);
    expect(r.lost, JSON.stringify(r)).toBe(0);
  });
});

afterAll(() => {
  // The measured figures, for the report and the benchmarks' baseline.
  console.log(JSON.stringify(figures, null, 1));
});
