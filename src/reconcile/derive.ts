import type { DatabaseSpec, OpsRequest } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';
import { newOperation } from '../execute/queue.js';
import type { OperationRecord } from '../execute/engine.js';

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

/** What an operation changes, decided when it starts. */
export type Resolution =
  | { kind: 'run'; after: DatabaseSpec }
  | { kind: 'skip'; message: string }
  | { kind: 'fail'; reason: string; message: string };

const sameConfig = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Decides what an operation does from the spec the database runs at now (the ledger applied
 * in order, DESIGN §2). Pure.
 */
export function resolve(op: StoredOp, applied: DatabaseSpec): Resolution {
  if (op.target) return { kind: 'run', after: withOpFields(applied, op.target, op.type) };
  const req = op.request;
  if (!req) return { kind: 'fail', reason: 'Invalid', message: 'operation without a request' };
  switch (req.type) {
    case 'VolumeExpansion': {
      const bytes = req.volumeExpansion?.bytes ?? 0;
      if (bytes <= applied.storageBytes) {
        return {
          kind: 'fail',
          reason: 'CannotShrink',
          message: `asks for ${formatBytes(bytes)} but the volumes already have ${formatBytes(applied.storageBytes)}: volumes never shrink; nothing was changed (ask for a larger size)`,
        };
      }
      return { kind: 'run', after: { ...applied, storageBytes: bytes } };
    }
    case 'Reconfigure': {
      const c = req.configuration;
      const config = {
        ...(c?.removeCustomConfig ? {} : applied.config),
        ...(c?.applyConfig ?? {}),
      };
      if (sameConfig(config, applied.config)) {
        return {
          kind: 'skip',
          message: 'the configuration is already what this OpsRequest asks for',
        };
      }
      return { kind: 'run', after: { ...applied, config } };
    }
    case 'Restart':
      return { kind: 'run', after: applied };
    case 'HorizontalScaling': {
      if (applied.kind !== 'Postgres') {
        return {
          kind: 'fail',
          reason: 'Unsupported',
          message:
            'HorizontalScaling of a Redis database (resharding) is not supported yet; nothing was changed',
        };
      }
      const replicas = req.horizontalScaling?.replicas ?? applied.replicas;
      if (replicas === applied.replicas)
        return { kind: 'skip', message: `already ${replicas} replica(s)` };
      return { kind: 'run', after: { ...applied, replicas } };
    }
    default:
      return {
        kind: 'fail',
        reason: 'Unsupported',
        message: `${req.type} is not supported yet; nothing was changed`,
      };
  }
}

function withOpFields(applied: DatabaseSpec, target: DatabaseSpec, type: string): DatabaseSpec {
  if (type === 'VolumeExpansion')
    return { ...applied, storageBytes: Math.max(applied.storageBytes, target.storageBytes) };
  if (type === 'Reconfigure') return { ...applied, config: target.config };
  if (type === 'HorizontalScaling' && applied.kind === 'Postgres' && target.kind === 'Postgres') {
    return { ...applied, replicas: target.replicas };
  }
  return applied;
}

/** Conditions the comparison of the target with the applied spec raises. */
export interface DeriveNotes {
  /** A reverted VolumeExpansion or a smaller spec size: nothing shrinks. */
  volumeStays: string | null;
  /** Changes this version cannot carry out (version, Redis topology, mode). */
  unsupported: string | null;
}

/**
 * Compares the target (the folded spec) with the spec the database runs at, once every
 * OpsRequest of the database is done, and returns: the applied spec with the fields that need
 * no operation taken over, the operations a spec change needs (volume first, then
 * configuration, then Postgres replicas), and notes. A failed operation for the same target
 * is not created again until the target changes. Pure.
 */
export function deriveOperations(input: {
  database: string;
  applied: DatabaseSpec;
  target: DatabaseSpec;
  existing: StoredOp[];
  revision: string | null;
  now: number;
}): { applied: DatabaseSpec; add: StoredOp[]; notes: DeriveNotes } {
  const { applied, target } = input;
  const notes: DeriveNotes = { volumeStays: null, unsupported: null };
  const unsupported: string[] = [];
  if (target.version !== applied.version)
    unsupported.push(`version ${applied.version} -> ${target.version}`);
  if (target.kind === 'Redis' && applied.kind === 'Redis') {
    if (target.mode !== applied.mode) unsupported.push(`mode ${applied.mode} -> ${target.mode}`);
    if (target.shards !== applied.shards || target.replicas !== applied.replicas) {
      unsupported.push(
        `shards/replicas ${applied.shards}x${applied.replicas} -> ${target.shards}x${target.replicas}`,
      );
    }
  }
  if (target.storageType !== applied.storageType)
    unsupported.push(`storageType -> ${target.storageType}`);
  if (unsupported.length > 0) {
    notes.unsupported = `not supported yet, kept as it is: ${unsupported.join(', ')}`;
  }
  // Fields ensure applies directly (no operation): policies, halted, resources, secrets' names.
  const next: DatabaseSpec = {
    ...applied,
    deletionPolicy: target.deletionPolicy,
    halted: target.halted,
    resources: target.resources,
    authSecretName: target.authSecretName,
    configSecretName: target.configSecretName,
    storageClassName: target.storageClassName,
  };

  const wanted: { type: string; target: DatabaseSpec }[] = [];
  if (target.storageBytes > applied.storageBytes) wanted.push({ type: 'VolumeExpansion', target });
  if (target.storageBytes < applied.storageBytes) {
    notes.volumeStays = `volume stays at ${formatBytes(applied.storageBytes)}: volumes cannot shrink (the spec asks for ${formatBytes(target.storageBytes)})`;
  }
  if (!sameConfig(target.config, applied.config)) wanted.push({ type: 'Reconfigure', target });
  if (
    target.kind === 'Postgres' &&
    applied.kind === 'Postgres' &&
    target.replicas !== applied.replicas
  ) {
    wanted.push({ type: 'HorizontalScaling', target });
  }
  const add: StoredOp[] = [];
  for (const w of wanted) {
    const key = targetKeyOf(w.type, w.target);
    // The latest attempt at this very target is still queued, running, or failed: a failed
    // one is not retried in a loop; a new target (a new commit) gets a new operation.
    const latest = input.existing
      .filter((o) => o.source === 'SpecChange' && o.type === w.type)
      .at(-1);
    if (latest?.targetKey === key && latest.phase !== 'Successful' && latest.phase !== 'Skipped')
      continue;
    const rev = (input.revision ?? 'local').slice(0, 12);
    const id = `${input.database}-${w.type.toLowerCase()}-${rev}`;
    const unique = input.existing.some((o) => o.id === id) ? `${id}-${key.slice(0, 6)}` : id;
    add.push({
      ...newOperation({ id: unique, database: input.database, type: w.type }, input.now),
      source: 'SpecChange',
      file: null,
      digest: null,
      revision: input.revision,
      apply: 'IfReady',
      timeoutMs: null,
      request: null,
      target: w.target,
      targetKey: key,
      position: null,
      noted: false,
    });
  }
  return { applied: next, add, notes };
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
