import {
  Cond,
  Reason,
  type Condition,
  type ConditionReason,
  type ConditionType,
} from '../api/conditions.js';
import type { DatabasePhase } from '../api/status.js';

/** Sets a condition in place, keeping lastTransitionTime when the status did not change. */
export function setCondition(
  list: Condition[],
  now: number,
  type: ConditionType,
  status: Condition['status'],
  reason: ConditionReason,
  message: string,
): void {
  const i = list.findIndex((c) => c.type === type);
  const prev = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    prev && prev.status === status ? prev.lastTransitionTime : new Date(now).toISOString();
  const next = { type, status, reason, message, lastTransitionTime };
  if (i >= 0) list[i] = next;
  else list.push(next);
}

/** Removes a condition that no longer applies. */
export function clearCondition(list: Condition[], type: ConditionType): void {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) list.splice(i, 1);
}

/** The detail conditions that must all be True for a database to be Ready. */
const readiness = [Cond.MembersReady, Cond.ClusterHealthy, Cond.ReplicationHealthy] as const;

/**
 * Derives the summary conditions (Ready, Reconciling, Stalled) and the phase from the detail
 * conditions that the steps set. The one place where readiness is decided (Flux `summarize`).
 */
export function summarize(
  list: Condition[],
  now: number,
  opts: {
    halted: boolean;
    working: boolean;
    stalled?: { reason: ConditionReason; message: string };
  },
): DatabasePhase {
  // Once a database was Ready, losing readiness is NotReady; before that it is Provisioning.
  const prior = list.find((c) => c.type === Cond.Ready);
  const everReady =
    prior !== undefined && (prior.status === 'True' || prior.reason === Reason.NotReady);
  if (opts.halted) {
    setCondition(
      list,
      now,
      Cond.Ready,
      'False',
      Reason.Halted,
      'the database is halted; data is kept',
    );
    setCondition(list, now, Cond.Reconciling, 'False', Reason.Halted, '');
    clearCondition(list, Cond.Stalled);
    return 'Halted';
  }
  if (opts.stalled) {
    setCondition(list, now, Cond.Stalled, 'True', opts.stalled.reason, opts.stalled.message);
  } else {
    clearCondition(list, Cond.Stalled);
  }
  const failing = readiness
    .map((t) => list.find((c) => c.type === t))
    .filter((c): c is Condition => c !== undefined && c.status !== 'True');
  const ready = failing.length === 0 && list.some((c) => c.type === Cond.MembersReady);
  if (ready) {
    setCondition(list, now, Cond.Ready, 'True', Reason.Succeeded, 'every member is ready');
  } else {
    const why =
      failing
        .map((c) => c.message)
        .filter(Boolean)
        .join('; ') || 'not ready yet';
    setCondition(
      list,
      now,
      Cond.Ready,
      'False',
      everReady ? Reason.NotReady : Reason.Provisioning,
      why,
    );
  }
  setCondition(
    list,
    now,
    Cond.Reconciling,
    opts.working ? 'True' : 'False',
    opts.working ? Reason.Progressing : Reason.Succeeded,
    '',
  );
  if (opts.stalled) return 'Failed';
  if (ready) return 'Ready';
  return everReady ? 'NotReady' : 'Provisioning';
}
