/**
 * Postgres primitives for Reconfigure (DESIGN §5): read live settings, and make the server
 * re-read its configuration files and say what it did with them.
 *
 * This module never writes configuration and never uses ALTER SYSTEM. The runtime owns one
 * file, `dbops.conf`, included from postgresql.conf, and writes it from the effective desired
 * state. ALTER SYSTEM would write a second file (postgresql.auto.conf) that is read after ours
 * and silently wins, so a later Git revert of our file would not take effect and the live
 * state would drift from the repository: one source of truth, the runtime-owned file.
 */
import { codes, stalled, transient } from '../../errors.js';
import { withClient, type Target } from './client.js';
import { waitFor, type Clock } from '../../platform/clock.js';

/** One row of `pg_file_settings` that carries an error. */
export interface FileSettingError {
  sourcefile: string | null;
  sourceline: number | null;
  name: string | null;
  error: string;
}

/** What a reload left behind: settings that wait for a restart, and entries the server refused. */
export interface ReloadReport {
  /** `pg_settings.pending_restart`: changed in a file, live only after a restart. */
  pendingRestart: string[];
  /** Refused file entries, as `file:line: name: error` (values left out: they may be secrets). */
  fileErrors: string[];
}

// The one per-entry error Postgres records after the file passed its checks; any other error
// (syntax, unknown parameter, missing include) makes the server reject the whole file.
const notApplied = 'setting could not be applied';

/**
 * The refused entries worth reporting: a postmaster-context setting that changed validly is
 * also "could not be applied", but it is pending a restart, not an error.
 */
export function fileErrorsOf(
  rows: readonly FileSettingError[],
  pendingRestart: string[],
): string[] {
  const pending = new Set(pendingRestart);
  return rows
    .filter((r) => !(r.error === notApplied && r.name !== null && pending.has(r.name)))
    .map((r) => {
      const where = `${r.sourcefile ?? '?'}${r.sourceline === null ? '' : `:${r.sourceline}`}`;
      return `${where}: ${r.name === null ? '' : `${r.name}: `}${r.error}`;
    });
}

/** True when the errors make Postgres ignore the whole reload (it then keeps its load time). */
export function rejectsWholeFile(rows: readonly FileSettingError[]): boolean {
  return rows.some((r) => r.error !== notApplied);
}

/**
 * Reads the live value of each setting (`current_setting`, the form SHOW prints, e.g. `7min`;
 * with `raw`, `pg_settings.setting` in base units).
 * Returns `{}` without connecting when `keys` is empty. Throws DbopsError `unknownSetting`
 * naming every key the server does not know, `dbAuth` or `dbUnreachable` otherwise.
 */
export async function readPostgresSettings(
  input: Target & { keys: string[]; raw?: boolean },
): Promise<Record<string, string>> {
  if (input.keys.length === 0) return {};
  // raw: `pg_settings.setting` in base units (work_mem 8MB -> 8192), as `postgres -C` prints.
  const sql = input.raw
    ? 'SELECT k, s.setting AS v FROM unnest($1::text[]) AS k LEFT JOIN pg_settings s ON s.name = k'
    : 'SELECT k, current_setting(k, true) AS v FROM unnest($1::text[]) AS k';
  return withClient(input, 'read settings of', async (c) => {
    const { rows } = await c.query<{ k: string; v: string | null }>(sql, [input.keys]);
    const unknown = rows.filter((r) => r.v === null).map((r) => r.k);
    if (unknown.length > 0) {
      throw stalled(
        codes.unknownSetting,
        `Postgres at ${input.host}:${input.port} has no setting ${unknown.map((k) => `"${k}"`).join(', ')}`,
        { hint: 'check the spelling against the Postgres documentation' },
      );
    }
    return Object.fromEntries(rows.map((r) => [r.k, r.v ?? '']));
  });
}

/**
 * Makes Postgres re-read its configuration files (`pg_reload_conf()`, asynchronous) and waits
 * until this session sees the new load time, or until the files' errors show the server
 * rejected them whole. Returns the settings pending a restart and the refused file entries;
 * the caller fails the operation when `fileErrors` is not empty. Throws DbopsError `timeout`
 * when the server neither reloads nor reports an error before the deadline (default 10 s).
 */
export async function reloadPostgres(input: Target & { clock: Clock }): Promise<ReloadReport> {
  const timeoutMs = input.timeoutMs ?? 10_000;
  return withClient(input, 'reload', async (c) => {
    const loadTime = async () =>
      (await c.query<{ t: string }>('SELECT pg_conf_load_time()::text AS t')).rows[0]?.t;
    const fileErrorRows = async () =>
      (
        await c.query<FileSettingError>(
          `SELECT sourcefile, sourceline, name, error FROM pg_file_settings
            WHERE error IS NOT NULL ORDER BY seqno`,
        )
      ).rows;
    const before = await loadTime();
    await c.query('SELECT pg_reload_conf()');
    try {
      // A session re-reads the files itself when SIGHUP reaches it, after the postmaster did,
      // so a new load time here means this session's pg_settings shows the new state.
      await waitFor(
        input.clock,
        'Postgres to reload its configuration',
        async () =>
          (await loadTime()) !== before || rejectsWholeFile(await fileErrorRows()) || undefined,
        { timeoutMs, intervalMs: 20 },
      );
    } catch (err) {
      throw transient(
        codes.timeout,
        `Postgres at ${input.host}:${input.port} did not reload its configuration within ${timeoutMs} ms`,
        { hint: 'check the server log; dbops retries the reload', cause: err },
      );
    }
    const pending = await c.query<{ name: string }>(
      'SELECT name FROM pg_settings WHERE pending_restart ORDER BY name',
    );
    const pendingRestart = pending.rows.map((r) => r.name);
    return { pendingRestart, fileErrors: fileErrorsOf(await fileErrorRows(), pendingRestart) };
  });
}
