import type { DatabaseSpec } from '../api/desired.js';
import type { observePostgres } from '../db/postgres/observe.js';
import type { readPostgresSettings, reloadPostgres } from '../db/postgres/settings.js';
import type { failoverShard } from '../db/redis/failover.js';
import type { observeRedis } from '../db/redis/observe.js';
import type { applyRedisSettings, readRedisSettings } from '../db/redis/settings.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Credentials, Runtime } from '../runtime/runtime.js';

/** A server address with the database's password (and user, for Postgres). */
export interface Conn {
  host: string;
  port: number;
  password: string;
  user?: string;
  timeoutMs?: number;
}

/** What day-2 operations need from the database adapters (db/redis, db/postgres). */
export interface OpsClients {
  observeRedis: typeof observeRedis;
  readRedisSettings: typeof readRedisSettings;
  applyRedisSettings: typeof applyRedisSettings;
  failoverShard: typeof failoverShard;
  observePostgres: typeof observePostgres;
  readPostgresSettings: typeof readPostgresSettings;
  reloadPostgres: typeof reloadPostgres;
}

/** Everything the steps of one operation work with. `before`/`after` are fixed at its start. */
export interface OpCtx {
  runtime: Runtime;
  clients: OpsClients;
  clock: Clock;
  log: Logger;
  database: string;
  /** The spec the database ran at when the operation started. */
  before: DatabaseSpec;
  /** The spec it runs at when the operation succeeds. */
  after: DatabaseSpec;
  credentials: Credentials;
  /** Deadline for waits inside a step (failover, replica catch-up). */
  waitMs: number;
}
