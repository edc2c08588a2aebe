import { observePostgres, type PostgresObservation } from './postgres/observe.js';
import { ensureCluster, type ClusterReport, type EnsureClusterInput } from './redis/cluster.js';
import { observeRedis, type RedisObservation } from './redis/observe.js';

export type { ClusterMember, ClusterReport, EnsureClusterInput } from './redis/cluster.js';
export type { RedisObservation } from './redis/observe.js';
export type { PostgresObservation } from './postgres/observe.js';

/** Where and how to reach one Redis server. */
export interface RedisEndpointInput {
  host: string;
  port: number;
  password: string;
  timeoutMs?: number;
}

/** Where and how to reach one Postgres server. */
export interface PostgresEndpointInput extends RedisEndpointInput {
  user: string;
}

/** What the controller needs from Redis servers. */
export interface RedisAdapter {
  /** Creates or repairs a Redis Cluster (see `ensureCluster`). */
  ensureCluster(input: EnsureClusterInput): Promise<ClusterReport>;
  /** Role, version, memory, replication and cluster state of one server. */
  observe(input: RedisEndpointInput): Promise<RedisObservation>;
}

/** What the controller needs from Postgres servers. */
export interface PostgresAdapter {
  /** Role, version, size and replication of one server. */
  observe(input: PostgresEndpointInput): Promise<PostgresObservation>;
}

/** The database adapters the controller receives (injected; tests may pass the real ones). */
export interface DbAdapters {
  redis: RedisAdapter;
  postgres: PostgresAdapter;
}

/** The real adapters: ioredis and pg clients, short-lived per call. */
export function createDbAdapters(): DbAdapters {
  return {
    redis: { ensureCluster, observe: observeRedis },
    postgres: { observe: observePostgres },
  };
}
