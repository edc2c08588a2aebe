/**
 * Which settings a server takes only at startup, so that the planner can tell, without a
 * running server, whether a Reconfigure is applied live or needs a rolling restart.
 *
 * Produced from the real servers, not from documentation:
 * - Redis 7.0.15: every key `CONFIG GET *` lists (192, aliases such as `slaveof` included) was
 *   set to its own current value with `CONFIG SET`; the keys refused with "can't set immutable
 *   config" (33) or "can't set protected config" (2: `dir`, `dbfilename`, refused while
 *   `enable-protected-configs` is `no`, its default, which manifests cannot change) form
 *   the Redis table: the two refusals the Reconfigure's apply step (db/redis/settings.ts)
 *   also counts as needing a restart. The same keys are refused with and without `cluster-enabled`; every
 *   other key took its value back.
 * - PostgreSQL 15.18 (Debian 15.18-0+deb12u1):
 *   `SELECT name FROM pg_settings WHERE context = 'postmaster' ORDER BY name`.
 *
 * test/db/restart-settings.test.ts derives both tables again from the installed servers and
 * fails when they differ from these.
 */
import type { DatabaseKind } from '../api/desired.js';

/** Redis 7.0 configs that `CONFIG SET` refuses at run time (immutable or protected), lower case. */
export const redisRestartKeys: ReadonlySet<string> = new Set([
  'aclfile',
  'always-show-logo',
  'aof_rewrite_cpulist',
  'appenddirname',
  'appendfilename',
  'bgsave_cpulist',
  'bio_cpulist',
  'cluster-config-file',
  'cluster-enabled',
  'cluster-port',
  'daemonize',
  'databases',
  'dbfilename',
  'dir',
  'disable-thp',
  'enable-debug-command',
  'enable-module-command',
  'enable-protected-configs',
  'io-threads',
  'io-threads-do-reads',
  'logfile',
  'pidfile',
  'rdbchecksum',
  'replicaof',
  'server_cpulist',
  'set-proc-title',
  'slaveof',
  'socket-mark-id',
  'supervised',
  'syslog-enabled',
  'syslog-facility',
  'syslog-ident',
  'tcp-backlog',
  'unixsocket',
  'unixsocketperm',
]);

/** Postgres 15 parameters whose `pg_settings.context` is `postmaster`, lower case. */
export const postgresRestartKeys: ReadonlySet<string> = new Set([
  'archive_mode',
  'autovacuum_freeze_max_age',
  'autovacuum_max_workers',
  'autovacuum_multixact_freeze_max_age',
  'bonjour',
  'bonjour_name',
  'cluster_name',
  'config_file',
  'data_directory',
  'data_sync_retry',
  'dynamic_shared_memory_type',
  'event_source',
  'external_pid_file',
  'hba_file',
  'hot_standby',
  'huge_page_size',
  'huge_pages',
  'ident_file',
  'ignore_invalid_pages',
  'jit_provider',
  'listen_addresses',
  'logging_collector',
  'max_connections',
  'max_files_per_process',
  'max_locks_per_transaction',
  'max_logical_replication_workers',
  'max_pred_locks_per_transaction',
  'max_prepared_transactions',
  'max_replication_slots',
  'max_wal_senders',
  'max_worker_processes',
  'min_dynamic_shared_memory',
  'old_snapshot_threshold',
  'port',
  'recovery_target',
  'recovery_target_action',
  'recovery_target_inclusive',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_time',
  'recovery_target_timeline',
  'recovery_target_xid',
  'shared_buffers',
  'shared_memory_type',
  'shared_preload_libraries',
  'superuser_reserved_connections',
  'track_activity_query_size',
  'track_commit_timestamp',
  'unix_socket_directories',
  'unix_socket_group',
  'unix_socket_permissions',
  'wal_buffers',
  'wal_decode_buffer_size',
  'wal_level',
  'wal_log_hints',
]);

/**
 * True when a change of `key` takes effect only after the server restarts; the key's case does
 * not matter. False for a key the server applies live and for an unknown key: one not in the
 * table of that engine, such as a misspelling, a Redis module config, or a Postgres custom or
 * extension setting with a dot (`foo.bar`, also `pg_stat_statements.max`, which is in fact
 * postmaster context once the library is preloaded). For those the server's own answer when
 * the Reconfigure applies the settings decides.
 */
export function settingNeedsRestart(kind: DatabaseKind, key: string): boolean {
  const table = kind === 'Redis' ? redisRestartKeys : postgresRestartKeys;
  return table.has(key.toLowerCase());
}
