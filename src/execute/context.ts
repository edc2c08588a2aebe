import type { DatabaseSpec } from '../api/desired.js';
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
  redisRole(conn: Conn): Promise<{ role: 'master' | 'replica'; masterLinkUp?: boolean }>;
  readRedisSettings(conn: Conn & { keys: string[] }): Promise<Record<string, string>>;
  applyRedisSettings(
    conn: Conn & { target: Record<string, string> },
  ): Promise<{ changed: string[]; needRestart: string[] }>;
  failoverShard(input: {
    master: { host: string; port: number };
    replica: { host: string; port: number };
    password: string;
    clock: Clock;
    log: Logger;
    timeoutMs?: number;
    signal?: AbortSignal;
  }): Promise<{ performed: boolean }>;
  postgresState(conn: Conn & { user: string }): Promise<{
    role: 'primary' | 'standby';
    replication: { name: string; state: string }[];
  }>;
  readPostgresSettings(
    conn: Conn & { user: string; keys: string[]; raw?: boolean },
  ): Promise<Record<string, string>>;
  reloadPostgres(
    conn: Conn & { user: string; clock: Clock },
  ): Promise<{ pendingRestart: string[]; fileErrors: string[] }>;
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
