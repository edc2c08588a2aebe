import {
  Cond,
  Reason,
  type Condition,
  type ConditionReason,
  type ConditionType,
  type DetailConditionType,
} from '../api/conditions.js';
import type { DatabasePhase } from '../api/status.js';

/**
 * Sets a detail condition in place, keeping lastTransitionTime when the status did not change.
 * The summary conditions (Ready, Reconciling, Stalled) are not accepted: `summarize` alone
 * writes them.
 */
export function setCondition(
  list: Condition[],
  now: number,
  type: DetailConditionType,
  status: Condition['status'],
  reason: ConditionReason,
  message: string,
): void {
  put(list, now, type, status, reason, message);
}

/** Removes a detail condition that no longer applies. */
export function clearCondition(list: Condition[], type: DetailConditionType): void {
  remove(list, type);
}

/**
 * What the controller does about a database this round: the input of the summary besides
 * the detail conditions. `kept` and `stalled` carry the explanation a person reads.
 */
export type Activity =
  /** Nothing left to do for now: Reconciling False. */
  | { kind: 'idle' }
  /** Work goes on (provisioning, an operation): Reconciling True with the reason. */
  | { kind: 'progressing'; reason: ConditionReason; message: string }
  /** A step failed and is tried again (transient, or waiting): Reconciling True, Retrying. */
  | { kind: 'retrying'; message: string }
  /** The controller leaves the database as it is (a `keep` action): Reconciling False, Kept. */
  | { kind: 'kept'; message: string }
  /** Progress needs a human: Stalled True, Reconciling False, phase Failed. */
  | { kind: 'stalled'; reason: ConditionReason; message: string };

/** The detail conditions that must all be True for a database to be Ready. */
const readiness = [
  Cond.MembersReady,
  Cond.ClusterHealthy,
  Cond.ReplicationHealthy,
  Cond.Initialized,
] as const;

/**
 * Derives the summary conditions (Ready, Reconciling, Stalled) and the phase from the detail
 * conditions that the steps set (a True `Halted` means halted) and from what the controller
 * does (`activity`). The one writer of the summary conditions (Flux `summarize`): every
 * caller assigns the returned phase.
 */
export function summarize(
  list: Condition[],
  now: number,
  activity: Activity,
  /** Detail conditions that must be present (and True): those the spec makes apply. */
  required: readonly string[] = [],
): DatabasePhase {
  // Once a database was Ready, losing readiness is NotReady; before that it is Provisioning.
  const prior = list.find((c) => c.type === Cond.Ready);
  const everReady =
    prior !== undefined && (prior.status === 'True' || prior.reason === Reason.NotReady);
  const halted = list.some((c) => c.type === Cond.Halted && c.status === 'True');
  const stalled = activity.kind === 'stalled';
  if (stalled) put(list, now, Cond.Stalled, 'True', activity.reason, activity.message);
  else remove(list, Cond.Stalled);
  const failing = readiness
    .map((t) => list.find((c) => c.type === t))
    .filter((c): c is Condition => c !== undefined && c.status !== 'True');
  const missing = required.filter((t) => !list.some((c) => c.type === t));
  const ready =
    !halted &&
    failing.length === 0 &&
    missing.length === 0 &&
    list.some((c) => c.type === Cond.MembersReady);
  if (halted) {
    put(list, now, Cond.Ready, 'False', Reason.Halted, 'the database is halted; data is kept');
  } else if (ready) {
    put(list, now, Cond.Ready, 'True', Reason.Succeeded, 'every member is ready');
  } else {
    const why =
      failing
        .map((c) => c.message)
        .filter(Boolean)
        .concat(missing.map((t) => `${t} not known yet`))
        .join('; ') || 'not ready yet';
    put(list, now, Cond.Ready, 'False', everReady ? Reason.NotReady : Reason.Provisioning, why);
  }
  putReconciling(list, now, activity, halted);
  if (stalled) return 'Failed';
  if (halted) return 'Halted';
  if (ready) return 'Ready';
  return everReady ? 'NotReady' : 'Provisioning';
}

function putReconciling(list: Condition[], now: number, a: Activity, halted: boolean): void {
  const set = (status: Condition['status'], reason: ConditionReason, message: string) =>
    put(list, now, Cond.Reconciling, status, reason, message);
  switch (a.kind) {
    case 'idle':
      return set('False', halted ? Reason.Halted : Reason.Succeeded, '');
    case 'progressing':
      return set('True', a.reason, a.message);
    case 'retrying':
      return set('True', Reason.Retrying, a.message);
    case 'kept':
      return set('False', Reason.Kept, a.message);
    case 'stalled':
      return set('False', a.reason, '');
  }
}

function put(
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

function remove(list: Condition[], type: ConditionType): void {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) list.splice(i, 1);
}
