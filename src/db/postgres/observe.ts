import { DbopsError, codes } from '../../errors.js';
import { withClient, type Target } from './client.js';
import { databaseSizeSql } from './size.js';

/** What one Postgres server reports about itself. */
export interface PostgresObservation {
  role: 'primary' | 'standby';
  /** False for a warm standby (standbyMode: Warm): it refused the connection, nothing more is known. */
  connected: boolean;
  /** `server_version`, e.g. "15.10 (Debian 15.10-0+deb12u1)"; undefined for a warm standby. */
  version?: string;
  /** Sum of `pg_database_size` over every database; undefined for a warm standby. */
  databaseSizeBytes?: number;
  /** On a primary, one row per connected standby (`pg_stat_replication`); empty on a standby. */
  replication: { name: string; state: string; syncState: string; lagBytes: number | null }[];
}

const replicationSql = `SELECT application_name AS name, state, sync_state,
  pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag
  FROM pg_stat_replication ORDER BY application_name`;

/**
 * Reads role, version, total database size and replication state from one Postgres server
 * with a short-lived client. A warm standby, which refuses every connection in recovery, is a
 * standby that is not `connected` (its replication shows on the primary). Throws DbopsError
 * `dbAuth` on a refused password and `dbUnreachable` otherwise; the password never appears.
 */
export async function observePostgres(input: Target): Promise<PostgresObservation> {
  try {
    return await observeOnce(input);
  } catch (err) {
    if (err instanceof DbopsError && err.code === codes.dbWarmStandby) {
      return { role: 'standby', connected: false, replication: [] };
    }
    throw err;
  }
}

function observeOnce(input: Target): Promise<PostgresObservation> {
  return withClient(
    input,
    'observe',
    async (client) => {
      const head = await client.query<{ standby: boolean; version: string; size: string }>(
        `SELECT pg_is_in_recovery() AS standby, current_setting('server_version') AS version,
        ${databaseSizeSql} AS size`,
      );
      const row = head.rows[0];
      if (!row) throw new Error('empty answer to the status query');
      const replication = row.standby
        ? []
        : (
            await client.query<{
              name: string;
              state: string;
              sync_state: string;
              lag: string | null;
            }>(replicationSql)
          ).rows.map((r) => ({
            name: r.name,
            state: r.state,
            syncState: r.sync_state,
            lagBytes: r.lag === null ? null : Number(r.lag),
          }));
      return {
        role: row.standby ? 'standby' : 'primary',
        connected: true,
        version: row.version,
        databaseSizeBytes: Number(row.size),
        replication,
      };
    },
    5_000,
  );
}
