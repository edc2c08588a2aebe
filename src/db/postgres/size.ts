import { withClient, type Target } from './client.js';

/** SQL for the sum of `pg_database_size` over every database of the server, as a bigint. */
export const databaseSizeSql = '(SELECT sum(pg_database_size(datname)) FROM pg_database)::bigint';

// pg_ls_waldir() needs superuser or pg_monitor: the local runtime logs in as `postgres`, the
// bootstrap superuser. It lists the segment files of pg_wal (archive_status/ is left out).
const sizeSql = `SELECT ${databaseSizeSql} AS databases,
  (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint AS wal`;

/**
 * Reads, with a short-lived client, what one Postgres server reports its data takes: the sum
 * of `pg_database_size` over every database plus the size of the WAL directory. A signal,
 * not the filesystem's usage. Undefined when the answer holds no number. Throws DbopsError
 * `dbAuth` or `dbUnreachable` like `observePostgres` (a login without pg_monitor is refused
 * `pg_ls_waldir` and fails the same way).
 */
export function postgresDataBytes(input: Target): Promise<number | undefined> {
  return withClient(
    input,
    'read the size of',
    async (client) => {
      const res = await client.query<{ databases: string | null; wal: string | null }>(sizeSql);
      const row = res.rows[0];
      if (!row || row.databases === null) return undefined;
      return Number(row.databases) + Number(row.wal ?? 0);
    },
    5_000,
  );
}
