/** What the controller keeps about each storage autoscaler, and the gates it reads. */
import type { Autoscaler } from '../api/desired.js';
import type { AutoscalerStatus } from '../api/status.js';
import type { StoredOp } from '../reconcile/derive.js';

/**
 * Where an autoscaler's latest decision is: `committing` (persisted before its push, so a
 * restart finishes it with the same file name instead of deciding again), `landing` (pushed,
 * not yet in the revision the controller applies: no new decision meanwhile), or `idle`.
 */
export type AutoscalerStage = 'idle' | 'committing' | 'landing';

/** The durable record: the public status plus where the latest decision is. */
export interface AutoscalerRecord extends AutoscalerStatus {
  stage: AutoscalerStage;
  /** Clock ms of the latest decision: it names the OpsRequest file and dates the commit. */
  decidedAt: number | null;
  /** Clock ms of the push, for a decision that is landing. */
  pushedAt: number | null;
}

/** The record of `a`, made when first seen; its settings follow the newest manifest. */
export function recordOfAutoscaler(
  records: Record<string, AutoscalerRecord>,
  a: Autoscaler,
  mode: AutoscalerStatus['mode'],
): AutoscalerRecord {
  const rec = (records[a.database] ??= {
    name: a.name,
    kind: a.kind,
    database: a.database,
    enabled: a.storage.trigger,
    usageThresholdPercent: a.storage.usageThreshold,
    mode,
    conditions: [],
    usage: null,
    lastDecision: null,
    decisions: {},
    commitAttempts: 0,
    commitConflicts: 0,
    stage: 'idle',
    decidedAt: null,
    pushedAt: null,
  });
  rec.name = a.name;
  rec.kind = a.kind;
  rec.enabled = a.storage.trigger;
  rec.usageThresholdPercent = a.storage.usageThreshold;
  rec.mode = mode;
  return rec;
}

/** The public view of a record (`autoscalers[]` of the status document). */
export function publicAutoscaler(r: AutoscalerRecord): AutoscalerStatus {
  return {
    name: r.name,
    kind: r.kind,
    database: r.database,
    enabled: r.enabled,
    usageThresholdPercent: r.usageThresholdPercent,
    mode: r.mode,
    conditions: r.conditions,
    usage: r.usage,
    lastDecision: r.lastDecision,
    decisions: r.decisions,
    commitAttempts: r.commitAttempts,
    commitConflicts: r.commitConflicts,
  };
}

const isExpansion = (o: StoredOp, database: string) =>
  o.database === database && o.type === 'VolumeExpansion';

/**
 * The ledger's gates for a database: whether a VolumeExpansion is Pending or Progressing, and
 * when the last one that ran ended (Skipped ones never ran, so they start no cooldown).
 */
export function expansionGates(
  ops: Iterable<StoredOp>,
  database: string,
): { inFlight: boolean; lastEndedAt?: number } {
  let inFlight = false;
  let lastEndedAt: number | undefined;
  for (const o of ops) {
    if (!isExpansion(o, database)) continue;
    if (o.phase === 'Pending' || o.phase === 'Progressing') inFlight = true;
    if ((o.phase === 'Successful' || o.phase === 'Failed') && o.finishedAt) {
      const t = Date.parse(o.finishedAt);
      if (lastEndedAt === undefined || t > lastEndedAt) lastEndedAt = t;
    }
  }
  return lastEndedAt === undefined ? { inFlight } : { inFlight, lastEndedAt };
}
