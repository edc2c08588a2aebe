/**
 * How long a planned operation will take, from the durations recorded for past operations of
 * the same type: on the same database first, else on databases of the same kind and member
 * count (the number of members restarted or grown in turn is what an operation's time scales
 * with). Pure.
 */
import type { PlannedOperation } from './planned-operation.js';

/** One finished operation as the controller recorded it. */
export interface PastOperation {
  database: string;
  kind: 'Redis' | 'Postgres';
  type: string;
  /** Members the database had. */
  members: number;
  ms: number;
}

/** An estimate and what it rests on. */
export interface Estimate {
  ms: number;
  basis: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The estimate of `op`, or undefined when nothing comparable ran before. */
export function estimateDuration(
  op: PlannedOperation,
  members: number,
  past: readonly PastOperation[],
): Estimate | undefined {
  if (op.outcome !== 'run') return undefined;
  const same = past.filter((p) => p.type === op.type && p.database === op.database);
  if (same.length > 0) {
    return {
      ms: median(same.map((p) => p.ms)),
      basis: `median of ${same.length} past ${op.type} of ${op.database}`,
    };
  }
  const alike = past.filter(
    (p) => p.type === op.type && p.kind === op.kind && p.members === members,
  );
  if (alike.length > 0) {
    return {
      ms: median(alike.map((p) => p.ms)),
      basis: `median of ${alike.length} past ${op.type} of ${op.kind} databases with ${members} member(s)`,
    };
  }
  return undefined;
}
