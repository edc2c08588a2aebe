/**
 * What operations do to a database's spec, decided over plain values: the controller and
 * `dbops plan` both call these, so a plan shows what the controller will do (DESIGN §2, §6).
 * Pure: no I/O, no clock.
 */
import type { DatabaseSpec, OpsRequest, PostgresSpec } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';

/** What an operation changes, decided when it starts. */
export type Resolution =
  | { kind: 'run'; after: DatabaseSpec }
  | { kind: 'skip'; message: string }
  | { kind: 'fail'; reason: string; message: string };

/** What an operation is about: an OpsRequest, or a spec change aiming at a target spec. */
export type OperationInput =
  | { type: string; request: OpsRequest; target?: undefined }
  | { type: string; request?: undefined; target: DatabaseSpec };

/** True when two configurations hold the same keys and values, in any order. */
export const sameConfig = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Decides what an operation does from the spec the database runs at when it starts (the
 * ledger applied in order, DESIGN §2): run (with the spec after it), skip, or fail.
 */
export function resolveOperation(op: OperationInput, applied: DatabaseSpec): Resolution {
  if (op.type === 'Reconfigure' && applied.kind === 'Postgres' && applied.warmStandbys) {
    return {
      kind: 'fail',
      reason: 'Unsupported',
      message:
        'Reconfigure of a Postgres with warm standbys (standbyMode: Warm) is not supported yet: they take no connections to reload or to read the settings back; nothing was changed',
    };
  }
  if (op.target) return { kind: 'run', after: withOpFields(applied, op.target, op.type) };
  const req = op.request;
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
export interface SpecChangeNotes {
  /** A reverted VolumeExpansion or a smaller spec size: nothing shrinks. */
  volumeStays: string | null;
  /** Changes this version cannot carry out (version, Redis topology, mode). */
  unsupported: string | null;
}

/** The operation types a spec change needs, in the order they run. */
export type SpecChangeType = 'VolumeExpansion' | 'Reconfigure' | 'HorizontalScaling';

/**
 * Compares the target (the folded spec) with the spec the database runs at, once every
 * OpsRequest of the database is done, and returns: the applied spec with the fields that need
 * no operation taken over, the operation types the change needs (volume first, then
 * configuration, then Postgres replicas), and notes.
 */
export function specChanges(
  applied: DatabaseSpec,
  target: DatabaseSpec,
): { applied: DatabaseSpec; wanted: SpecChangeType[]; notes: SpecChangeNotes } {
  const notes: SpecChangeNotes = { volumeStays: null, unsupported: null };
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
  if (target.kind === 'Postgres' && applied.kind === 'Postgres') {
    const mode = (s: PostgresSpec) => (s.warmStandbys ? 'Warm' : 'Hot');
    if (mode(target) !== mode(applied))
      unsupported.push(`standbyMode ${mode(applied)} -> ${mode(target)}`);
  }
  if (unsupported.length > 0) {
    notes.unsupported = `not supported yet, kept as it is: ${unsupported.join(', ')}`;
  }
  // Fields ensure applies directly (no operation): policies, halted, resources, secrets' names,
  // synchronous replication, init scripts.
  const next: DatabaseSpec = {
    ...applied,
    deletionPolicy: target.deletionPolicy,
    halted: target.halted,
    resources: target.resources,
    pod: target.pod,
    authSecretName: target.authSecretName,
    configSecretName: target.configSecretName,
    storageClassName: target.storageClassName,
  };
  // Synchronous replication: two reloadable settings, rendered by ensure from the spec.
  if (next.kind === 'Postgres' && target.kind === 'Postgres') {
    delete next.synchronous;
    if (target.synchronous) next.synchronous = target.synchronous;
    // init: the step decides (scripts run only at creation; it says so otherwise).
    delete next.init;
    if (target.init) next.init = target.init;
  }
  const wanted: SpecChangeType[] = [];
  if (target.storageBytes > applied.storageBytes) wanted.push('VolumeExpansion');
  if (target.storageBytes < applied.storageBytes) {
    notes.volumeStays = `volume stays at ${formatBytes(applied.storageBytes)}: volumes cannot shrink (the spec asks for ${formatBytes(target.storageBytes)})`;
  }
  if (!sameConfig(target.config, applied.config)) wanted.push('Reconfigure');
  if (
    target.kind === 'Postgres' &&
    applied.kind === 'Postgres' &&
    target.replicas !== applied.replicas
  ) {
    wanted.push('HorizontalScaling');
  }
  return { applied: next, wanted, notes };
}
