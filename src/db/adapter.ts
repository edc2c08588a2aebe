import { observePostgres, type PostgresObservation } from './postgres/observe.js';
import { ensureCluster, type ClusterReport, type EnsureClusterInput } from './redis/cluster.js';
import { observeRedis, type RedisObservation } from './redis/observe.js';
import {
  failoverShard,
  waitReplicaInSync,
  type FailoverInput,
  type ReplicaSyncInput,
} from './redis/failover.js';
import { applyRedisSettings, readRedisSettings } from './redis/settings.js';

export type { ClusterMember, ClusterReport, EnsureClusterInput } from './redis/cluster.js';
export type { RedisObservation } from './redis/observe.js';
export type { Address, FailoverInput, ReplicaSyncInput } from './redis/failover.js';
export type { PostgresObservation } from './postgres/observe.js';
export { readPostgresSettings, reloadPostgres, type ReloadReport } from './postgres/settings.js';

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
  /** `CONFIG GET` of each key, canonical values (see `readRedisSettings`). */
  readSettings(input: RedisEndpointInput & { keys: string[] }): Promise<Record<string, string>>;
  /** Applies differing settings live in one atomic `CONFIG SET` (see `applyRedisSettings`). */
  applySettings(
    input: RedisEndpointInput & { target: Record<string, string> },
  ): Promise<{ changed: string[]; needRestart: string[] }>;
  /** Coordinated failover of a cluster shard to its replica (see `failoverShard`). */
  failoverShard(input: FailoverInput): Promise<{ performed: boolean }>;
  /** Waits until a replica streams from its master, lag bounded (see `waitReplicaInSync`). */
  waitReplicaInSync(input: ReplicaSyncInput): Promise<{ lagBytes: number }>;
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
    redis: {
      ensureCluster,
      observe: observeRedis,
      readSettings: readRedisSettings,
      applySettings: applyRedisSettings,
      failoverShard,
      waitReplicaInSync,
    },
    postgres: { observe: observePostgres },
  };
}
