/**
 * Load writers for integration tests and benchmarks: a steady stream of acknowledged writes
 * against Redis (standalone or Cluster) or Postgres, configured like production clients, then
 * a read-back of every acknowledged write. "Clients see no failed writes" and "no data is lost"
 * become numbers: `failed` (an error reached the application after the client's own retries)
 * and `lost` (acknowledged, yet not readable afterwards).
 */
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import {
  chunks,
  runId,
  startLoadEngine,
  type LoadOptions,
  type LoadWriter,
} from './load-engine.js';

export type { LoadOptions, LoadReport, LoadWriter } from './load-engine.js';
// Keys carry one of 64 hash tags: they spread over every shard, and the read-back can MGET
// each tag's keys in one command (keys of one tag share a slot).
const tags = 64;

/**
 * Starts writing `SET load:{run:tag}:n n` at the given rate to a standalone Redis or a Redis
 * Cluster, through a client configured like a production one. Resolves once the client is
 * ready (10 s deadline).
 */
export async function startRedisLoad(
  opts: {
    endpoints: { host: string; port: number }[];
    password: string;
    cluster: boolean;
  } & LoadOptions,
): Promise<LoadWriter> {
  const clock = opts.clock ?? systemClock;
  const run = runId();
  const key = (id: number) => `load:{${run}:${id % tags}}:${id}`;
  const connect = () => (opts.cluster ? clusterClient(opts) : standaloneClient(opts));
  const ready = async (client: Redis | Cluster) => {
    client.on('error', () => undefined);
    await waitFor(
      clock,
      'the Redis client to be ready',
      () => client.status === 'ready' || undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 20,
      },
    ).catch((err: unknown) => {
      client.disconnect();
      throw err;
    });
    return client;
  };
  const writer = await ready(connect());
  return startLoadEngine(
    {
      write: async (id) => {
        await writer.set(key(id), String(id));
      },
      countLost: async (ids) => {
        const reader = await ready(connect());
        try {
          const byTag = Array.from({ length: tags }, () => [] as number[]);
          for (const id of ids) byTag[id % tags]?.push(id);
          const batches = byTag.flatMap((group) => chunks(group, 500));
          const lost = await Promise.all(
            batches.map(async (b) => {
              const values = await reader.mget(...b.map(key));
              return values.filter((v, i) => v !== String(b[i])).length;
            }),
          );
          return lost.reduce((a, b) => a + b, 0);
        } finally {
          reader.disconnect();
        }
      },
      close: async () => {
        await writer.quit().catch(() => writer.disconnect());
      },
    },
    opts,
  );
}

function standaloneClient(opts: {
  endpoints: { host: string; port: number }[];
  password: string;
}): Redis {
  const at = opts.endpoints[0];
  if (!at) throw new Error('startRedisLoad needs an endpoint');
  return new Redis({
    host: at.host,
    port: at.port,
    password: opts.password,
    // Reconnect forever, backing off to 500 ms: the server may be restarting.
    retryStrategy: (times) => Math.min(times * 50, 500),
    // Writes wait in the offline queue while the client reconnects...
    enableOfflineQueue: true,
    // ...for up to 10 reconnect attempts (~2.75 s with the backoff above), then fail to the app.
    maxRetriesPerRequest: 10,
    // A demoted master answers READONLY: reconnect and resend the write instead of failing it.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    // A server that stops answering without closing the socket must not hang a write forever.
    commandTimeout: 5000,
    connectTimeout: 2000,
  });
}

function clusterClient(opts: {
  endpoints: { host: string; port: number }[];
  password: string;
}): Cluster {
  return new Cluster(opts.endpoints, {
    redisOptions: { password: opts.password, connectTimeout: 2000, commandTimeout: 5000 },
    // When every known node is unreachable, keep trying to rediscover the cluster.
    clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
    // Queue commands until the slot map is known instead of failing them.
    enableOfflineQueue: true,
    // Each MOVED/ASK/TRYAGAIN/CLUSTERDOWN/closed-connection retry spends one of 16 tries...
    maxRedirections: 16,
    // ...waiting 200 ms after a lost node and refreshing the slot map (16 x 200 ms covers a
    // failover detected within ~3 s), 100 ms on TRYAGAIN (a slot migrating) and 200 ms on
    // CLUSTERDOWN (a failover under way); MOVED is followed at once.
    retryDelayOnFailover: 200,
    retryDelayOnTryAgain: 100,
    retryDelayOnClusterDown: 200,
    retryDelayOnMoved: 0,
    // Notice topology changes (new masters after a failover) even without a MOVED.
    slotsRefreshInterval: 2000,
    slotsRefreshTimeout: 2000,
    // Writes go to masters; reads in verify() too, so a lagging replica cannot hide a write.
    scaleReads: 'master',
  });
}

/** Server-side errors that mean "this connection is gone", not "this statement is wrong". */
function isConnectionError(err: unknown): boolean {
  // Class 08 (connection exception) and 57P01-57P03 (shutdown, crash, starting up); anything
  // else the server says is about the statement. Errors without a SQLSTATE are the network's.
  if (err instanceof pg.DatabaseError) return /^(08|57P0)/.test(err.code ?? '');
  return true;
}

/**
 * Starts inserting unique ids into `table` (default `dbops_load`, created if missing) at the
 * given rate through a pg Pool. An insert that fails on a broken connection is retried once on
 * a new one: `ON CONFLICT DO NOTHING` makes the retry safe even if the first one committed.
 */
export async function startPostgresLoad(
  opts: {
    host: string;
    port: number;
    user: string;
    password: string;
    table?: string;
  } & LoadOptions,
): Promise<LoadWriter> {
  const table = opts.table ?? 'dbops_load';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`bad table name ${table}`);
  const run = runId();
  const config = {
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: 'postgres',
    connectionTimeoutMillis: 2000,
    // Bounds a statement on a server that stopped answering.
    query_timeout: 5000,
    application_name: 'dbops-load',
  };
  const pool = new pg.Pool({ ...config, max: opts.concurrency ?? 4 });
  // An idle pooled connection that breaks emits 'error'; the pool drops it and reconnects.
  pool.on('error', () => undefined);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (id text PRIMARY KEY)`);
  const insert = `INSERT INTO ${table} (id) VALUES ($1) ON CONFLICT DO NOTHING`;
  return startLoadEngine(
    {
      write: async (id) => {
        try {
          await pool.query(insert, [`${run}-${id}`]);
        } catch (err) {
          if (!isConnectionError(err)) throw err;
          await pool.query(insert, [`${run}-${id}`]);
        }
      },
      countLost: async (ids) => {
        const reader = new pg.Client(config);
        reader.on('error', () => undefined);
        await reader.connect();
        try {
          let found = 0;
          for (const b of chunks(ids, 10_000)) {
            const r = await reader.query(
              `SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1)`,
              [b.map((id) => `${run}-${id}`)],
            );
            found += (r.rows[0] as { n: number } | undefined)?.n ?? 0;
          }
          return ids.length - found;
        } finally {
          await reader.end().catch(() => undefined);
        }
      },
      close: () => pool.end(),
    },
    opts,
  );
}
