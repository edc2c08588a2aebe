import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { ensureCluster, type ClusterMember } from '../../src/db/redis/cluster.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { RedisServers, type TestRedis } from '../helpers/redis-servers.js';

const nodeTimeoutMs = 1000;
const names = [0, 1, 2].flatMap((s) => [0, 1].map((o) => `bench-shard${s}-${o}`));

async function info(s: TestRedis, password: string, section: string): Promise<string> {
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
    return section === 'cluster' ? String(await r.call('CLUSTER', 'INFO')) : await r.info(section);
  } finally {
    r.disconnect();
  }
}

/** The common end condition: cluster_state:ok on all six, every replica's link up. */
async function clusterReady(servers: TestRedis[], password: string): Promise<boolean | undefined> {
  const states = await Promise.all(servers.map((s) => info(s, password, 'cluster')));
  if (!states.every((t) => t.includes('cluster_state:ok'))) return undefined;
  const repl = await Promise.all(servers.map((s) => info(s, password, 'replication')));
  const replicas = repl.filter((t) => t.includes('role:slave'));
  return replicas.length === 3 && replicas.every((t) => t.includes('master_link_status:up'))
    ? true
    : undefined;
}

function redisCliCreate(servers: TestRedis[], password: string): Promise<void> {
  const args = [
    '--cluster',
    'create',
    ...servers.map((s) => `${s.host}:${s.port}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ];
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', args, {
      env: { ...process.env, REDISCLI_AUTH: password },
      stdio: 'ignore',
    });
    p.once('error', reject);
    p.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`redis-cli --cluster create exited ${code}`)),
    );
  });
}

/** Starts six fresh servers, times `create` until the end condition, stops them. */
async function timeOnce(
  create: (servers: TestRedis[], password: string) => Promise<void>,
): Promise<number> {
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const rs = new RedisServers({ password, nodeTimeoutMs });
  try {
    const servers = await rs.startAll(names);
    const t0 = performance.now();
    await create(servers, password);
    await waitFor(systemClock, 'cluster ready', () => clusterReady(servers, password), {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    return performance.now() - t0;
  } finally {
    await rs.cleanup();
  }
}

async function ours(servers: TestRedis[], password: string): Promise<void> {
  const members: ClusterMember[] = servers.map((s, i) => ({
    name: s.name,
    shard: Math.floor(i / 2),
    ordinal: i % 2,
    host: s.host,
    port: s.port,
  }));
  const report = await ensureCluster({
    members,
    password,
    clock: systemClock,
    log: silentLogger(),
    timeoutMs: 60_000,
  });
  if (report.state !== 'ok') throw new Error(`ensureCluster: ${report.problems.join('; ')}`);
}

/**
 * Cluster creation, 3 shards x 2 on fresh redis-server processes: `redis-cli --cluster create`
 * against `ensureCluster`, both timed to cluster_state:ok on all six and replica links up.
 */
export async function run(): Promise<{ title: string; rows: { label: string; value: string }[] }> {
  const cli = await timeOnce(redisCliCreate);
  const dbops = await timeOnce(ours);
  return {
    title: 'Redis Cluster creation, 3 shards x 2 (to cluster_state:ok on all, replica links up)',
    rows: [
      { label: 'redis-cli --cluster create', value: `${(cli / 1000).toFixed(2)} s` },
      { label: 'ensureCluster (dbops)', value: `${(dbops / 1000).toFixed(2)} s` },
      { label: 'ratio dbops / redis-cli', value: (dbops / cli).toFixed(2) },
      { label: 'cluster-node-timeout', value: `${nodeTimeoutMs} ms` },
    ],
  };
}
