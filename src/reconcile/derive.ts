import type { DatabaseSpec, OpsRequest } from '../api/desired.js';
import { newOperation } from '../execute/queue.js';
import type { OperationRecord } from '../execute/engine.js';
import {
  resolveOperation,
  specChanges,
  type Resolution,
  type SpecChangeNotes,
} from '../plan/resolve.js';

export type { Resolution } from '../plan/resolve.js';

/** An operation as the controller stores it: the engine's record plus where it came from. */
export interface StoredOp extends OperationRecord {
  source: 'OpsRequest' | 'SpecChange';
  file: string | null;
  digest: string | null;
  /** The revision that brought it (its OpsRequest file or the spec change). */
  revision: string | null;
  apply: 'IfReady' | 'Always';
  timeoutMs: number | null;
  /** The OpsRequest as validated, for explicit operations. */
  request: OpsRequest | null;
  /** For spec-derived operations: the spec to reach and a key of that target. */
  target: DatabaseSpec | null;
  targetKey: string | null;
  /** Position in the database's queue while Pending. */
  position: number | null;
  /** The audit note was pushed. */
  noted: boolean;
}

/**
 * Decides what a stored operation does from the spec the database runs at now: the planner's
 * decision (plan/resolve.ts) on the operation's request or target. Pure.
 */
export function resolve(op: StoredOp, applied: DatabaseSpec): Resolution {
  if (op.target) return resolveOperation({ type: op.type, target: op.target }, applied);
  if (op.request) return resolveOperation({ type: op.type, request: op.request }, applied);
  return { kind: 'fail', reason: 'Invalid', message: 'operation without a request' };
}

/**
 * The operations a spec change needs, as stored records: the planner's comparison
 * (plan/resolve.ts specChanges) of the target with the spec the database runs at, once every
 * OpsRequest of the database is done. A failed operation for the same target is not created
 * again until the target changes. Pure.
 */
export function deriveOperations(input: {
  database: string;
  applied: DatabaseSpec;
  target: DatabaseSpec;
  existing: StoredOp[];
  revision: string | null;
  now: number;
}): { applied: DatabaseSpec; add: StoredOp[]; notes: SpecChangeNotes } {
  const { applied, wanted, notes } = specChanges(input.applied, input.target);
  const add: StoredOp[] = [];
  for (const type of wanted) {
    const key = targetKeyOf(type, input.target);
    // The latest attempt at this very target is still queued, running, or failed: a failed
    // one is not retried in a loop; a new target (a new commit) gets a new operation.
    const latest = input.existing
      .filter((o) => o.source === 'SpecChange' && o.type === type)
      .at(-1);
    if (latest?.targetKey === key && latest.phase !== 'Successful' && latest.phase !== 'Skipped')
      continue;
    const rev = (input.revision ?? 'local').slice(0, 12);
    const id = `${input.database}-${type.toLowerCase()}-${rev}`;
    const unique = input.existing.some((o) => o.id === id) ? `${id}-${key.slice(0, 6)}` : id;
    add.push({
      ...newOperation({ id: unique, database: input.database, type }, input.now),
      source: 'SpecChange',
      file: null,
      digest: null,
      revision: input.revision,
      apply: 'IfReady',
      timeoutMs: null,
      request: null,
      target: input.target,
      targetKey: key,
      position: null,
      noted: false,
    });
  }
  return { applied, add, notes };
}

/** A short, stable key of what a derived operation aims at. */
export function targetKeyOf(type: string, target: DatabaseSpec): string {
  const what =
    type === 'VolumeExpansion'
      ? String(target.storageBytes)
      : type === 'Reconfigure'
        ? JSON.stringify(Object.entries(target.config).sort())
        : String(target.kind === 'Postgres' ? target.replicas : '');
  let h = 0x811c9dc5;
  for (const ch of `${type}:${what}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return `${type}:${h.toString(16).padStart(8, '0')}`;
}
