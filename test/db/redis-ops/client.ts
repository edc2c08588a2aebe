/**
 * The ioredis Cluster client configured as a production application would run it against a
 * dbops Redis Cluster. Day-2 tests (failover, rolling restart, load) use it to prove that
 * clients see latency, not errors; reuse it rather than the ioredis defaults.
 */
import { Cluster, type ClusterOptions } from 'ioredis';

/** Where to find the cluster: any reachable members; the client discovers the rest. */
export interface ClusterSeed {
  host: string;
  port: number;
}

/**
 * Cluster client options, each chosen for what a planned or unplanned failover does:
 *
 * - `redisOptions.commandTimeout` unset: a coordinated `CLUSTER FAILOVER` pauses writes on
 *   the old master for up to 5 s (Redis' CLUSTER_MF_TIMEOUT) and then answers MOVED. A
 *   shorter timeout would turn that pause into failed writes.
 * - `retryDelayOnMoved: 10`: after MOVED the client refreshes the slot map and resends; a
 *   small delay avoids bouncing between members that have not all learnt the new epoch.
 * - ASK: always followed at once (ASKING + resend), ioredis has no delay for it.
 * - `retryDelayOnTryAgain: 50`: TRYAGAIN comes during slot migration of multi-key commands.
 * - `retryDelayOnClusterDown: 100`, `retryDelayOnFailover: 100`: CLUSTERDOWN and a closed
 *   connection (member restarting) are retried after a slot map refresh.
 * - `maxRedirections: 64`: every retry above spends one; 64 x 100 ms covers the ~2 node
 *   timeouts an unplanned failover takes with dbops' default node timeout.
 * - `clusterNodeRetryStrategy`: reconnect to a member that restarts (rolling restart of a
 *   replica keeps its slots, so no MOVED would tell the client to come back).
 * - `scaleReads: 'master'`: read-your-writes; replicas may lag.
 * - `enableOfflineQueue` (default true): commands issued while the slot map is refreshed
 *   wait instead of failing.
 * - No `natMap`: members announce addresses the client can reach (127.0.0.1 locally; a
 *   client outside a Kubernetes cluster would map the announced pod addresses here).
 */
export function productionClusterOptions(password: string): ClusterOptions {
  return {
    redisOptions: { password, connectTimeout: 2000 },
    enableReadyCheck: true,
    enableOfflineQueue: true,
    scaleReads: 'master',
    maxRedirections: 64,
    retryDelayOnMoved: 10,
    retryDelayOnTryAgain: 50,
    retryDelayOnClusterDown: 100,
    retryDelayOnFailover: 100,
    slotsRefreshTimeout: 2000,
    slotsRefreshInterval: 5000,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    clusterNodeRetryStrategy: (times) => Math.min(100 * times, 2000),
  };
}

/** Connects a production-configured Cluster client and resolves once it is ready. */
export async function connectCluster(seeds: ClusterSeed[], password: string): Promise<Cluster> {
  const cluster = new Cluster(seeds, { ...productionClusterOptions(password), lazyConnect: true });
  // Without a listener ioredis prints node errors; failed commands still reject.
  cluster.on('error', () => undefined);
  await cluster.connect();
  return cluster;
}
