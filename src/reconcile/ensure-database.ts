import { Cond, Reason, type ConditionReason, type DetailConditionType } from '../api/conditions.js';
import { formatError } from '../errors.js';
import type { OpsClients } from '../execute/context.js';
import type { CrashHook } from '../execute/crash-hook.js';
import { isTerminal } from '../execute/engine.js';
import { nextOperation } from '../execute/queue.js';
import type { Action } from '../plan/plan.js';
import { formatOperationNote } from '../source/note-format.js';
import type { DatabaseClients } from './clients.js';
import { clearCondition, setCondition, summarize } from './conditions.js';
import { deriveOperations, type StoredOp } from './derive.js';
import { opsOf, skipPendingAtCreation } from './ledger.js';
import { reconcileDatabase, type ReconcileDeps } from './reconcile-database.js';
import { runStoredOperation } from './run-operation.js';
import type { WindowWait } from './policy-gate.js';
import { requiredConditions } from './steps.js';
import type { ControllerState, DatabaseRecord } from './store.js';

/** What bringing one database to its target needs from the controller. */
export interface EnsureDeps extends ReconcileDeps {
  clients: DatabaseClients & OpsClients;
  state: ControllerState;
  save(): Promise<void>;
  crashHook?: CrashHook;
  recordNote?: (commit: string, text: string) => Promise<void>;
  /** Why an operation may not start yet (a closed change window), when it may not. */
  windowWait?: (op: StoredOp, rec: DatabaseRecord) => WindowWait | undefined;
}

/**
 * Provisions a new database at its target; for an existing one runs its operations one at a
 * time (OpsRequests in file order, then those a spec change needs), and only then the regular
 * reconcile at the spec it runs at: reconciliation pauses while an operation runs. Resolves
 * with when to run it again: 0 when operations still wait and the database is Ready, the
 * delay a waiting step asked for, or undefined (the next poll).
 */
export async function ensureDatabase(
  action: Extract<Action, { type: 'ensure' }>,
  rec: DatabaseRecord,
  deps: EnsureDeps,
): Promise<number | undefined> {
  const { clock, state } = deps;
  if (!rec.applied) {
    rec.phase = summarize(
      rec.conditions,
      clock.now(),
      { kind: 'progressing', reason: Reason.Progressing, message: 'provisioning' },
      requiredConditions(action.spec),
    );
    const again = await reconcileDatabase(action, rec, deps);
    if (rec.conditions.some((c) => c.type === Cond.MembersReady && c.status === 'True')) {
      rec.applied = action.spec;
      skipPendingAtCreation(state, rec.name, clock.now());
    }
    return again;
  }
  let windowMs: number | undefined;
  for (let round = 0; round < 50 && !deps.signal.aborted; round++) {
    const ops = opsOf(state, rec.name);
    if (!ops.some((o) => o.source === 'OpsRequest' && !isTerminal(o.phase))) {
      const d = deriveOperations({
        database: rec.name,
        applied: rec.applied,
        target: action.spec,
        existing: ops,
        revision: rec.lastGoodRevision,
        now: clock.now(),
      });
      rec.applied = d.applied;
      for (const o of d.add) state.operations[o.id] = o;
      noteCondition(rec, clock.now(), Cond.VolumeSize, Reason.VolumeSize, d.notes.volumeStays);
      const unsupported = d.notes.unsupported;
      noteCondition(
        rec,
        clock.now(),
        Cond.UnsupportedChange,
        Reason.UnsupportedChange,
        unsupported,
      );
    }
    const view = nextOperation(
      opsOf(state, rec.name).map((op) => ({ op, apply: op.apply })),
      rec.phase === 'Ready',
    );
    for (const w of view.waiting) {
      const o = state.operations[w.id];
      if (o) Object.assign(o, { position: w.position, message: w.message });
    }
    const next = view.next ? state.operations[view.next.id] : undefined;
    if (!next) break;
    const closed = next.phase === 'Pending' ? deps.windowWait?.(next, rec) : undefined;
    if (closed) {
      // It stays Pending and runs when the window opens; the database is reconciled as it is.
      next.message = closed.message;
      windowMs = closed.afterMs;
      break;
    }
    const done = await runStoredOperation(next, rec, {
      ...deps,
      persist: async (op) => {
        state.operations[op.id] = op;
        await deps.save();
      },
    });
    state.operations[done.id] = done;
    if (!isTerminal(done.phase)) return undefined; // shutting down: it resumes on the next start
  }
  const again = await reconcileDatabase({ ...action, spec: rec.applied }, rec, deps);
  await recordNotes(rec.name, deps);
  if (windowMs !== undefined) return again === undefined ? windowMs : Math.min(again, windowMs);
  const queued = opsOf(state, rec.name).some((o) => o.phase === 'Pending');
  return queued && rec.phase === 'Ready' ? 0 : again;
}

/** Audit: one git note per finished operation, retried on later rounds until pushed. */
async function recordNotes(database: string, deps: EnsureDeps): Promise<void> {
  if (!deps.recordNote) return;
  for (const op of opsOf(deps.state, database)) {
    if (op.noted || !isTerminal(op.phase) || !/^[0-9a-f]{40}$/.test(op.revision ?? '')) continue;
    if (op.reason === 'AppliedAtCreation') continue;
    try {
      await deps.recordNote(
        op.revision!,
        formatOperationNote({ ...op, file: op.file ?? undefined }),
      );
      op.noted = true;
      await deps.save();
    } catch (err) {
      deps.log.warn(
        { operation: op.id, err: formatError(err) },
        'could not record the git note; retrying later',
      );
      return;
    }
  }
}

function noteCondition(
  rec: DatabaseRecord,
  now: number,
  type: DetailConditionType,
  reason: ConditionReason,
  message: string | null,
): void {
  if (message) setCondition(rec.conditions, now, type, 'True', reason, message);
  else clearCondition(rec.conditions, type);
}
