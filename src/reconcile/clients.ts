import type { runInitScripts, transactionOutcome } from '../db/postgres/init.js';
import type { observePostgres } from '../db/postgres/observe.js';
import type { ensureCluster } from '../db/redis/cluster.js';

/** What the controller's reconciles need from the database adapters (db/redis, db/postgres). */
export interface DatabaseClients {
  /** Forms or repairs a Redis Cluster; idempotent. */
  ensureCluster: typeof ensureCluster;
  /** Reads role and replication of a Postgres server. */
  observePostgres: typeof observePostgres;
  /** Runs a Postgres' init scripts in one transaction. */
  runInitScripts: typeof runInitScripts;
  /** Whether a recorded transaction committed (init scripts after a crash). */
  transactionOutcome: typeof transactionOutcome;
}
