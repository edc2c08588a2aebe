import { Cond, Reason } from '../api/conditions.js';
import type { DatabaseSpec } from '../api/desired.js';
import { formatError, retryOf } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics, ReconcileResult } from '../platform/metrics.js';
import type { CrashHook } from '../execute/crash-hook.js';
import type { Action } from '../plan/plan.js';
import { topology } from '../plan/topology.js';
import type { Runtime } from '../runtime/runtime.js';
import type { DatabaseClients } from './clients.js';
import { setCondition, summarize, type Activity } from './conditions.js';
import { applyObserved, ensureSteps, requiredConditions, type DbContext } from './steps.js';
import type { DatabaseRecord } from './store.js';

/** Dependencies of a database reconcile. */
export interface ReconcileDeps {
  runtime: Runtime;
  clients: DatabaseClients;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  waitMs: number;
  metrics: Metrics;
  /** Persists the controller's state (steps that record progress mid-way). */
  save?: () => Promise<void>;
  /** Crash injection for tests (DBOPS_CRASH_AT): the init step's points. */
  crashHook?: CrashHook;
}

/**
 * Carries out one planned action on one database and records the outcome in `record`
 * (conditions, members, phase). Never throws: failures become conditions. Resolves with the
 * delay after which to reconcile again when a step is waiting (`retryOf`), else undefined:
 * a transient or stalled failure is tried again on the next poll.
 */
export async function reconcileDatabase(
  action: Action,
  record: DatabaseRecord,
  deps: ReconcileDeps,
): Promise<number | undefined> {
  const log = deps.log.child({ database: action.database });
  const now = () => deps.clock.now();
  const started = now();
  const done = (activity: Activity, required: readonly string[] = []) => {
    record.phase = summarize(record.conditions, now(), activity, required);
    deps.metrics.reconcileDone(action.database, resultOf(activity), (now() - started) / 1000);
  };
  switch (action.type) {
    case 'keep':
      done({ kind: 'kept', message: action.message });
      return;
    case 'halt':
    case 'wipe': {
      // spec.halted plans a halt every round: only the first one is news.
      const already = record.conditions.some(
        (c) => c.type === Cond.Halted && c.status === 'True' && c.message === action.message,
      );
      try {
        if (action.type === 'halt') await deps.runtime.halt(action.database);
        else await deps.runtime.wipe(action.database);
        if (already) log.debug(action.message);
        else log.info(action.message);
        record.haltedForRemoval = action.type === 'halt' && action.reason === 'removed';
        if (action.type === 'wipe') record.lastGood = null;
        setCondition(
          record.conditions,
          now(),
          Cond.Halted,
          'True',
          action.type === 'halt' && action.reason === 'spec'
            ? Reason.HaltedBySpec
            : Reason.ManifestRemoved,
          action.message,
        );
        applyObserved(record, await deps.runtime.observe(action.database), {}, [], now());
        done({ kind: 'idle' });
      } catch (err) {
        log.error({ err: formatError(err) }, `${action.type} failed`);
        done({
          kind: 'stalled',
          reason: Reason.StepFailed,
          message: `${action.type}: ${formatError(err)}`,
        });
      }
      return;
    }
    case 'ensure':
      break;
  }

  const spec = action.spec;
  record.kind = spec.kind;
  record.mode = modeOf(spec);
  record.haltedForRemoval = false;
  record.conditions = record.conditions.filter((c) => c.type !== Cond.Halted);
  const ctx: DbContext = {
    spec,
    members: topology(spec),
    record,
    runtime: deps.runtime,
    clients: deps.clients,
    clock: deps.clock,
    log,
    signal: deps.signal,
    waitMs: deps.waitMs,
    roles: {},
    syncStates: {},
    ...(action.initScripts ? { initScripts: action.initScripts } : {}),
    save: deps.save ?? (() => Promise.resolve()),
    ...(deps.crashHook ? { crashHook: deps.crashHook } : {}),
  };
  let activity: Activity = { kind: 'idle' };
  let retryAfterMs: number | undefined;
  /** Why ensureMembers did not finish, when it is the step that stopped the reconcile. */
  let membersNotDone: string | undefined;
  for (const step of ensureSteps) {
    try {
      await step.run(ctx);
    } catch (err) {
      if (deps.signal.aborted) return;
      const message = `${step.name}: ${formatError(err)}`;
      if (step.name === 'members') membersNotDone = message;
      log.warn({ step: step.name, err: formatError(err) }, 'step failed');
      const retry = retryOf(err);
      activity =
        retry.kind === 'stalled'
          ? { kind: 'stalled', reason: Reason.StepFailed, message }
          : { kind: 'retrying', message };
      if (retry.kind === 'waiting') retryAfterMs = retry.afterMs;
      break;
    }
  }
  try {
    applyObserved(
      record,
      ctx.observed ?? (await deps.runtime.observe(spec.name)),
      ctx.roles,
      ctx.members,
      now(),
      ctx.syncStates,
    );
  } catch (err) {
    log.warn({ err: formatError(err) }, 'observe failed');
  }
  // Members that run (a pod Ready) but that ensureMembers still waits for are not ready:
  // their servers do not answer yet.
  if (membersNotDone) {
    setCondition(
      record.conditions,
      now(),
      Cond.MembersReady,
      'False',
      Reason.MembersNotReady,
      membersNotDone,
    );
  }
  done(activity, requiredConditions(spec));
  return retryAfterMs;
}

function resultOf(activity: Activity): ReconcileResult {
  if (activity.kind === 'stalled') return 'stalled';
  return activity.kind === 'retrying' ? 'retry' : 'success';
}

function modeOf(spec: DatabaseSpec): string {
  if (spec.kind === 'Redis') return spec.mode;
  return spec.replicas > 1 ? 'Replicated' : 'Standalone';
}
