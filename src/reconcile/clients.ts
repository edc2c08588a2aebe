import type { ClusterMember, ClusterReport } from '../db/redis/cluster.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

/** What the controller needs from the database adapters (db/redis, db/postgres). */
export interface DatabaseClients {
  /** Forms or repairs a Redis Cluster; idempotent. */
  ensureCluster(input: {
    members: ClusterMember[];
    password: string;
    clock: Clock;
    log: Logger;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<ClusterReport>;
  /** Reads role and replication of a Postgres server. */
  observePostgres(input: {
    host: string;
    port: number;
    user: string;
    password: string;
    timeoutMs?: number;
  }): Promise<{
    role: 'primary' | 'standby';
    version: string;
    databaseSizeBytes: number;
    replication: { name: string; state: string; syncState: string; lagBytes: number | null }[];
  }>;
}
