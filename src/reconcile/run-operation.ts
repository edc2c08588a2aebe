import { Reason } from '../api/conditions.js';
import type { DatabaseSpec } from '../api/desired.js';
import { formatError } from '../errors.js';
import type { OpCtx, OpsClients } from '../execute/context.js';
import type { CrashHook } from '../execute/crash-hook.js';
import { isTerminal, runOperation, type OperationRecord } from '../execute/engine.js';
import { prepare, stepsOf, type OpPlan } from '../execute/operations.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { Runtime } from '../runtime/runtime.js';
import { summarize } from './conditions.js';
import { resolve, type StoredOp } from './derive.js';
import { requiredConditions } from './steps.js';
import type { DatabaseRecord } from './store.js';

/** What running an operation needs. */
export interface OpDeps {
  runtime: Runtime;
  clients: OpsClients;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  waitMs: number;
  crashHook?: CrashHook;
  metrics: Metrics;
  /** Durably records the operation and the database record together (one atomic write). */
  persist(op: StoredOp): Promise<void>;
}

/**
 * Runs one operation of a database to its end (or until shutdown), starting it when Pending:
 * resolves what it changes against the spec the database runs at, plans the member order
 * from the actual roles, and persists both before the first step. On success the database's
 * applied spec moves to the operation's `after` in the same write as the final phase.
 */
export async function runStoredOperation(
  op: StoredOp,
  rec: DatabaseRecord,
  deps: OpDeps,
): Promise<StoredOp> {
  const now = () => new Date(deps.clock.now()).toISOString();
  const applied = rec.applied;
  const credentials = await deps.runtime.credentials(rec.name);
  if (!applied || !credentials) return op;
  const contextOf = (before: DatabaseSpec, after: DatabaseSpec): OpCtx => ({
    runtime: deps.runtime,
    clients: deps.clients,
    clock: deps.clock,
    log: deps.log.child({ database: rec.name }),
    database: rec.name,
    before,
    after,
    credentials,
    waitMs: deps.waitMs,
  });
  let current = op;
  if (current.phase === 'Pending') {
    const r = resolve(current, applied);
    if (r.kind !== 'run') {
      current = {
        ...current,
        phase: r.kind === 'skip' ? 'Skipped' : 'Failed',
        reason: r.kind === 'skip' ? 'NothingToDo' : r.reason,
        message: r.message,
        finishedAt: now(),
        position: null,
      };
      await deps.persist(current);
      return current;
    }
    const ctx = contextOf(applied, r.after);
    const req = current.request;
    const plan = await prepare(ctx, current.type, {
      mode: req?.volumeExpansion?.mode ?? 'Online',
      restart: req?.configuration?.restart ?? 'auto',
    });
    current = {
      ...current,
      position: null,
      data: { ...current.data, before: applied, after: r.after, plan },
    };
    await deps.persist(current);
  }
  const before = current.data.before as DatabaseSpec;
  const after = current.data.after as DatabaseSpec;
  const plan = current.data.plan as OpPlan;
  const ctx = contextOf(before, after);
  rec.phase = summarize(
    rec.conditions,
    deps.clock.now(),
    {
      kind: 'progressing',
      reason: Reason.OperationProgressing,
      message: `${current.type} ${current.id}`,
    },
    requiredConditions(after),
  );
  let steps;
  try {
    steps = stepsOf(plan);
  } catch (err) {
    current = {
      ...current,
      phase: 'Failed',
      reason: 'Unsupported',
      message: formatError(err),
      finishedAt: now(),
    };
    await deps.persist(current);
    return current;
  }
  const base = current;
  const result = await runOperation(
    current,
    steps,
    ctx,
    { signal: deps.signal, ...(current.timeoutMs ? { timeoutMs: current.timeoutMs } : {}) },
    {
      clock: deps.clock,
      log: deps.log.child({ operation: current.id, type: current.type }),
      ...(deps.crashHook ? { crashHook: deps.crashHook } : {}),
      persist: async (r: OperationRecord) => {
        if (r.phase === 'Successful') rec.applied = after;
        await deps.persist({ ...base, ...r });
      },
    },
  );
  const final: StoredOp = { ...base, ...result };
  if (isTerminal(final.phase)) {
    const ms = Date.parse(final.finishedAt ?? '') - Date.parse(final.startedAt ?? '');
    deps.metrics.operationDone(final.type, final.phase, Number.isFinite(ms) ? ms / 1000 : 0);
    deps.log[final.phase === 'Failed' ? 'warn' : 'info'](
      { database: final.database, operation: final.id, phase: final.phase, reason: final.reason },
      `${final.type} ${final.id}: ${final.phase}${final.message ? `: ${final.message}` : ''}`,
    );
  }
  return final;
}
