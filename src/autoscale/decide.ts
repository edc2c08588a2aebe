/**
 * The storage autoscaler's decision (KubeDB semantics): given one sample of the volumes and
 * the database's gates, expand to which size, or why not. Pure: no I/O, the clock is `now`.
 * Sizes are bytes as safe integers; the arithmetic is done on bigints, so 1Gi + 50% is exactly
 * 1536Mi. Percents are whole numbers, as the autoscaler schema guarantees.
 */
import type { Autoscaler, ScalingRule } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';

/**
 * One member's volume as measured: bytes used of what its filesystem can hold (the share
 * that triggers), and the size it was provisioned at (what a new size grows from: a PVC's
 * capacity, a loop image's size; a filesystem holds less than its device, e.g. XFS keeps its
 * log out of statfs). `sizeBytes` defaults to `capacityBytes`.
 */
export interface VolumeUsage {
  member: string;
  usedBytes: number;
  capacityBytes: number;
  sizeBytes?: number;
}

/** Everything the decision depends on, as values. */
export interface DecideInput {
  autoscaler: Autoscaler;
  /** Effective desired size per member (spec folded with every VolumeExpansion). */
  currentBytes: number;
  /** Latest sample of every member's volume; empty when not measured yet. */
  usage: VolumeUsage[];
  /** Database state gates. */
  database: { present: boolean; halted: boolean; ready: boolean };
  /** An expansion of this database is pending or running (in the ledger, or a committed/pushed decision not yet seen applied). */
  expansionInFlight: boolean;
  /** When the last expansion of this database ended (clock ms), if any. */
  lastExpansionEndedAt?: number;
  cooldownMs: number;
  now: number;
}

/** Why the autoscaler does not expand; AtUpperBound is the one that needs a human. */
export type NoneReason =
  | 'TriggerOff'
  | 'NotPresent'
  | 'Halted'
  | 'NotReady'
  | 'NoUsage'
  | 'BelowThreshold'
  | 'InFlight'
  | 'Cooldown'
  | 'AtUpperBound'
  | 'NotAboveCurrent';

/**
 * The outcome. `fromBytes` is the effective desired size (`currentBytes`), the size the
 * VolumeExpansion changes; `usedPercent` is rounded up, so it never contradicts the exact
 * comparison (80.2% shows as 81% > 80%; exactly 80% shows as 80%, not above 80%).
 */
export type Decision =
  | {
      action: 'expand';
      /** e.g. 'usage 83% of cache-0 is above 80%: expand 1Gi -> 1536Mi'. */
      message: string;
      fromBytes: number;
      toBytes: number;
      member: string;
      usedPercent: number;
      thresholdPercent: number;
      /** Which setting sized it: 'scalingThreshold 50%', 'rule appliesUpto 10Gi: +20%', 'rule: +1Gi'. */
      rule: string;
      cappedAtUpperBound: boolean;
    }
  | { action: 'none'; reason: NoneReason; message: string; usedPercent?: number };

const MiB = 1n << 20n;

/**
 * Decides whether to expand, checking in order: trigger, presence, halted, readiness, an
 * expansion in flight, the cooldown, a usable sample, the usage threshold, and finally that the
 * new size is above `currentBytes` (AtUpperBound when `currentBytes` >= the upper bound).
 * The trigger member has the highest used share (ties: the first member name); members with
 * capacity 0 are ignored. The rule is chosen against max(measured capacity, currentBytes), the
 * size the volume has or is already heading to; the new size is computed from the measured
 * capacity, rounded up to a whole MiB, then capped at the upper bound (which wins even when
 * it is not a whole MiB).
 */
export function decide(input: DecideInput): Decision {
  const { autoscaler, database, currentBytes } = input;
  const storage = autoscaler.storage;
  const none = (reason: NoneReason, message: string, usedPercent?: number): Decision =>
    usedPercent === undefined
      ? { action: 'none', reason, message }
      : { action: 'none', reason, message, usedPercent };
  if (!storage.trigger) return none('TriggerOff', 'storage autoscaling is off (trigger: Off)');
  if (!database.present) return none('NotPresent', 'the database does not exist yet');
  if (database.halted) return none('Halted', 'the database is halted');
  if (!database.ready) return none('NotReady', 'the database is not ready');
  const top = fullest(input.usage);
  const pct = top && Number(ceilDiv(BigInt(top.usedBytes) * 100n, BigInt(top.capacityBytes)));
  if (input.expansionInFlight)
    return none('InFlight', 'an expansion is already pending or running', pct);
  const ended = input.lastExpansionEndedAt;
  if (ended !== undefined && input.now - ended < input.cooldownMs) {
    const left = Math.ceil((input.cooldownMs - (input.now - ended)) / 1000);
    return none('Cooldown', `cooling down after the last expansion: ${left}s left`, pct);
  }
  if (!top || pct === undefined) return none('NoUsage', 'no volume usage measured yet');
  const threshold = storage.usageThreshold;
  const usage = `usage ${pct}% of ${top.member}`;
  if (BigInt(top.usedBytes) * 100n <= BigInt(threshold) * BigInt(top.capacityBytes))
    return none('BelowThreshold', `${usage} is not above ${threshold}%`, pct);

  const upper = storage.upperBoundBytes;
  const measuredBytes = top.sizeBytes ?? top.capacityBytes;
  const { toBytes, capped, rule } = newSize(storage, measuredBytes, currentBytes);
  const over = `(usage ${pct}% > ${threshold}%)`;
  if (toBytes <= currentBytes) {
    if (upper !== undefined && currentBytes >= upper)
      return none(
        'AtUpperBound',
        `at the upper bound ${formatBytes(upper)}: not expanding ${over}`,
        pct,
      );
    const measured = `${formatBytes(toBytes)} from the measured ${formatBytes(measuredBytes)}`;
    return none(
      'NotAboveCurrent',
      `${measured} is not above the desired ${formatBytes(currentBytes)}: not expanding ${over}`,
      pct,
    );
  }
  const sizes = `${formatBytes(currentBytes)} -> ${formatBytes(toBytes)}`;
  const cap = capped ? ` (capped at the upper bound)` : '';
  return {
    action: 'expand',
    message: `${usage} is above ${threshold}%: expand ${sizes}${cap}`,
    fromBytes: currentBytes,
    toBytes,
    member: top.member,
    usedPercent: pct,
    thresholdPercent: threshold,
    rule,
    cappedAtUpperBound: capped,
  };
}

/** Describes an expand decision for the bot's commit; throws for a `none` decision. */
export function describeDecision(
  d: Decision,
  database: string,
): { subject: string; trailers: Record<string, string> } {
  if (d.action !== 'expand')
    throw new Error(`describeDecision: nothing to commit for ${database} (${d.reason})`);
  const from = formatBytes(d.fromBytes);
  const to = formatBytes(d.toBytes);
  return {
    subject: `autoscale(${database}): expand storage ${from} -> ${to} (usage ${d.usedPercent}% > ${d.thresholdPercent}%)`,
    trailers: {
      'Dbops-Database': database,
      'Dbops-Usage': `${d.usedPercent}%`,
      'Dbops-Threshold': `${d.thresholdPercent}%`,
      'Dbops-Old-Size': from,
      'Dbops-New-Size': to,
      'Dbops-Member': d.member,
    },
  };
}

// Exact share comparison (a.used/a.cap vs b.used/b.cap by cross-multiplying), no float.
function fullest(usage: VolumeUsage[]): VolumeUsage | undefined {
  let best: VolumeUsage | undefined;
  for (const u of usage) {
    if (u.capacityBytes <= 0) continue;
    if (!best) {
      best = u;
      continue;
    }
    const a = BigInt(u.usedBytes) * BigInt(best.capacityBytes);
    const b = BigInt(best.usedBytes) * BigInt(u.capacityBytes);
    if (a > b || (a === b && u.member < best.member)) best = u;
  }
  return best;
}

// Grows the measured capacity exactly, rounds up to a whole MiB, then caps at the bound.
function newSize(
  storage: Autoscaler['storage'],
  capacityBytes: number,
  currentBytes: number,
): { toBytes: number; capped: boolean; rule: string } {
  const capacity = BigInt(capacityBytes);
  const { grow, rule } = pickRule(storage, Math.max(capacityBytes, currentBytes));
  // In hundredths of a byte, so that a percentage needs no division before the rounding.
  const raw =
    'percent' in grow
      ? capacity * BigInt(100 + grow.percent)
      : (capacity + BigInt(grow.bytes)) * 100n;
  const rounded = ceilDiv(raw, 100n * MiB) * MiB;
  const upper = storage.upperBoundBytes;
  if (upper !== undefined && rounded > BigInt(upper)) return { toBytes: upper, capped: true, rule };
  return { toBytes: Number(rounded), capped: false, rule };
}

// KubeDB: the first bounded rule that covers the size, else the catch-all, else scalingThreshold.
function pickRule(
  storage: Autoscaler['storage'],
  size: number,
): { grow: ScalingRule['threshold']; rule: string } {
  const rules = storage.scalingRules;
  const r =
    rules.find((x) => x.appliesUptoBytes !== null && x.appliesUptoBytes >= size) ??
    rules.find((x) => x.appliesUptoBytes === null);
  if (!r) {
    const p = storage.scalingThreshold;
    return { grow: { percent: p }, rule: `scalingThreshold ${p}%` };
  }
  const by = 'percent' in r.threshold ? `${r.threshold.percent}%` : formatBytes(r.threshold.bytes);
  const upto = r.appliesUptoBytes === null ? '' : ` appliesUpto ${formatBytes(r.appliesUptoBytes)}`;
  return { grow: r.threshold, rule: `rule${upto}: +${by}` };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
