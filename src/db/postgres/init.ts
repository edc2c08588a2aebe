/**
 * Init scripts (spec.init.script) over a database connection: every .sql file of the
 * ConfigMap, in key order, in one transaction. The transaction id is handed out before the
 * scripts run, so that a controller killed at any point can tell afterwards whether they
 * committed (`txid_status`): never twice, never half.
 */
import type { InitScripts } from '../../api/desired.js';
import { codes, stalled } from '../../errors.js';
import { withClient, type Target } from './client.js';

/** What became of a transaction whose id was recorded. */
export type TxOutcome = 'committed' | 'aborted' | 'in progress';

/** Why a script failed: the file and Postgres' own message, position and hint. */
function scriptFailure(key: string, err: unknown): Error {
  const e = err as { message?: string; position?: string; hint?: string; code?: string };
  const where = e.position ? ` (at character ${e.position})` : '';
  const hint = e.hint ? `; ${e.hint}` : '';
  return stalled(
    codes.initFailed,
    `init script ${key} failed${where}: ${e.message ?? String(err)}${hint}`,
    { hint: 'fix the script in its ConfigMap: nothing of it was committed, and it runs again' },
  );
}

/**
 * Runs the scripts in one transaction on the primary. `begun(txid)` is awaited after the
 * transaction has its id and before any script runs (the caller persists it). Throws
 * initFailed (stalled) naming the file when a script fails: the transaction is rolled back.
 */
export function runInitScripts(
  target: Target,
  scripts: Pick<InitScripts, 'files'>,
  begun: (txid: string) => Promise<void>,
): Promise<void> {
  return withClient(
    { ...target, timeoutMs: target.timeoutMs ?? 600_000 },
    'run the init scripts on',
    async (c) => {
      await c.query('BEGIN');
      const { rows } = await c.query<{ txid: string }>('SELECT txid_current()::text AS txid');
      await begun(rows[0]!.txid);
      for (const f of scripts.files) {
        try {
          // The simple query protocol: a file may hold many statements.
          await c.query(f.sql);
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw scriptFailure(f.key, err);
        }
      }
      await c.query('COMMIT');
    },
  );
}

/** The outcome of a recorded transaction; `aborted` when Postgres no longer knows it. */
export function transactionOutcome(target: Target, txid: string): Promise<TxOutcome> {
  return withClient(target, 'check the init scripts on', async (c) => {
    const { rows } = await c.query<{ status: string | null }>(
      'SELECT txid_status($1::bigint) AS status',
      [txid],
    );
    const status = rows[0]?.status;
    return status === 'committed' || status === 'in progress' ? status : 'aborted';
  });
}
