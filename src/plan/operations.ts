/**
 * The operations planner: from the spec a database runs at, the OpsRequests that have not run
 * yet and the target spec, the operations the controller will run, in its order, with what
 * each changes, which members restart and which fail over. It makes the same decisions the
 * controller makes (resolveOperation and specChanges), on the topology's roles instead of
 * the servers'. Pure.
 */
import type { DatabaseSpec, OpsRequest } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';
import type {
  PlannedOperation,
  PlannedParameters,
  PlannedStep,
  PlannedType,
  SettingChange,
} from './planned-operation.js';
import {
  resolveOperation,
  specChanges,
  type OperationInput,
  type SpecChangeNotes,
} from './resolve.js';
import { settingNeedsRestart } from './restart-settings.js';
import { memberOrder, type RollingMember } from './rolling.js';
import { topology } from './topology.js';

/** What the planner needs for one existing database. */
export interface OperationsInput {
  /** The spec the database runs at. */
  applied: DatabaseSpec;
  /** The target: the newest revision's effective spec. */
  target: DatabaseSpec;
  /** The target's spec file. */
  file: string;
  /** OpsRequests that have not run yet, in file order. */
  pending: readonly OpsRequest[];
  /** The members' actual roles when known (a live plan); the topology's otherwise. */
  members?: readonly RollingMember[];
}

/** The planned operations of a database, the spec it ends at, and what the change notes. */
export interface OperationsPlan {
  operations: PlannedOperation[];
  after: DatabaseSpec;
  notes: SpecChangeNotes;
}

type Runnable = 'VolumeExpansion' | 'Reconfigure' | 'Restart' | 'HorizontalScaling';
const runnable = new Set<PlannedType>([
  'VolumeExpansion',
  'Reconfigure',
  'Restart',
  'HorizontalScaling',
]);

/**
 * Plans the operations of one database as the controller runs them: every pending OpsRequest
 * in file order, each resolved against the spec the ones before it left, then the operations
 * the remaining spec change needs (volume, configuration, replicas).
 */
export function planOperations(input: OperationsInput): OperationsPlan {
  let applied = input.applied;
  const operations: PlannedOperation[] = [];
  for (const req of input.pending) {
    const op = plannedOne({ type: req.type, request: req }, applied, input.members, {
      source: 'OpsRequest',
      name: req.name,
      file: req.origin.file,
    });
    operations.push(op.operation);
    applied = op.after;
  }
  const change = specChanges(applied, input.target);
  applied = change.applied;
  for (const type of change.wanted) {
    const op = plannedOne({ type, target: input.target }, applied, input.members, {
      source: 'SpecChange',
      name: null,
      file: input.file,
    });
    operations.push(op.operation);
    applied = op.after;
  }
  return { operations, after: applied, notes: change.notes };
}

/**
 * One operation as the planner sees it, against the spec the database runs at when it starts:
 * what the controller asks the policies about before it starts an operation (change windows).
 */
export function planOne(
  op: OperationInput,
  applied: DatabaseSpec,
  from: Pick<PlannedOperation, 'source' | 'name' | 'file'>,
  members?: readonly RollingMember[],
): PlannedOperation {
  return plannedOne(op, applied, members, from).operation;
}

function plannedOne(
  op: OperationInput,
  applied: DatabaseSpec,
  members: readonly RollingMember[] | undefined,
  from: Pick<PlannedOperation, 'source' | 'name' | 'file'>,
): { operation: PlannedOperation; after: DatabaseSpec } {
  const req = op.request;
  const r = resolveOperation(op, applied);
  const type = op.type as PlannedType;
  const base = {
    database: applied.name,
    kind: applied.kind,
    type,
    ...from,
    reversible: type !== 'VolumeExpansion',
  };
  if (r.kind !== 'run' || !runnable.has(type)) {
    const operation: PlannedOperation = {
      ...base,
      outcome: r.kind === 'run' ? 'fail' : r.kind,
      message: r.kind === 'run' ? `${type} is not supported yet; nothing was changed` : r.message,
      // What a failing expansion asked for: a shrink request, as the policies see it.
      parameters:
        type === 'VolumeExpansion' && req?.volumeExpansion
          ? {
              type,
              fromBytes: applied.storageBytes,
              toBytes: req.volumeExpansion.bytes,
              mode: req.volumeExpansion.mode,
            }
          : null,
      steps: [],
      restarts: [],
      failovers: 0,
      reversible: true,
    };
    return { operation, after: applied };
  }
  const parameters = parametersOf(type as Runnable, applied, r.after, req);
  const mode = parameters.type === 'VolumeExpansion' ? parameters.mode : undefined;
  const order: PlannedStep[] = memberOrder(applied.kind, type, mode, members ?? topology(applied));
  const steps = touchesMembers(parameters) ? order : [];
  const restarts = cycles(parameters)
    ? steps.flatMap((s) => (s.kind === 'cycle' ? [s.member] : []))
    : [];
  const operation: PlannedOperation = {
    ...base,
    outcome: 'run',
    message: null,
    parameters,
    steps,
    restarts,
    failovers: steps.filter((s) => s.kind === 'failover').length,
  };
  return { operation, after: r.after };
}

function parametersOf(
  type: Runnable,
  before: DatabaseSpec,
  after: DatabaseSpec,
  req: OpsRequest | undefined,
): PlannedParameters {
  switch (type) {
    case 'VolumeExpansion':
      return {
        type,
        fromBytes: before.storageBytes,
        toBytes: after.storageBytes,
        mode: req?.volumeExpansion?.mode ?? 'Online',
      };
    case 'Reconfigure':
      return {
        type,
        changes: settingChanges(before, after),
        restartPolicy: req?.configuration?.restart ?? 'auto',
      };
    case 'HorizontalScaling':
      return { type, fromReplicas: before.replicas, toReplicas: after.replicas };
    case 'Restart':
      return { type };
  }
}

/** The settings a Reconfigure changes, sorted by key. */
export function settingChanges(before: DatabaseSpec, after: DatabaseSpec): SettingChange[] {
  const keys = [...new Set([...Object.keys(before.config), ...Object.keys(after.config)])].sort();
  return keys.flatMap((key) => {
    const from = before.config[key] ?? null;
    const to = after.config[key] ?? null;
    if (from === to) return [];
    return [{ key, from, to, restart: settingNeedsRestart(before.kind, key) }];
  });
}

/** True when the operation goes through members one by one (restart, growth, take-down). */
function touchesMembers(p: PlannedParameters): boolean {
  if (p.type === 'HorizontalScaling') return false;
  if (p.type === 'Reconfigure') return cycles(p);
  return true;
}

/** True when the members it touches stop: everything but an Online growth and a live reconfigure. */
function cycles(p: PlannedParameters): boolean {
  switch (p.type) {
    case 'VolumeExpansion':
      return p.mode === 'Offline';
    case 'Reconfigure':
      return (
        p.restartPolicy === 'true' ||
        (p.restartPolicy === 'auto' && p.changes.some((c) => c.restart))
      );
    case 'Restart':
      return true;
    case 'HorizontalScaling':
      return false;
  }
}

/** One line saying what an operation will do, for a reader of a pull request. */
export function describeOperation(op: PlannedOperation): string {
  if (op.outcome !== 'run' || !op.parameters) {
    return `${op.type}: ${op.outcome === 'skip' ? 'nothing to do' : 'will fail'}: ${op.message ?? ''}`;
  }
  const p = op.parameters;
  const how = howItRuns(op);
  switch (p.type) {
    case 'VolumeExpansion':
      return `VolumeExpansion ${formatBytes(p.fromBytes)} -> ${formatBytes(p.toBytes)}, ${p.mode}, ${how}`;
    case 'Reconfigure': {
      const what = p.changes
        .map((c) => `${c.key} ${c.from ?? '(unset)'} -> ${c.to ?? '(unset)'}`)
        .join(', ');
      return `Reconfigure ${what || '(no setting changes)'}: ${how}`;
    }
    case 'Restart':
      return `Restart: ${how}`;
    case 'HorizontalScaling':
      return `HorizontalScaling ${p.fromReplicas} -> ${p.toReplicas} replicas: ${p.toReplicas > p.fromReplicas ? `${p.toReplicas - p.fromReplicas} member(s) added` : `${p.fromReplicas - p.toReplicas} member(s) removed`}, no restart`;
  }
}

function howItRuns(op: PlannedOperation): string {
  const p = op.parameters!;
  if (op.restarts.length === 0) {
    if (p.type === 'Reconfigure') {
      return p.restartPolicy === 'false' && p.changes.some((c) => c.restart)
        ? 'applied at the next restart (restart: false)'
        : 'applied live';
    }
    return 'no restart';
  }
  const n = op.restarts.length;
  const members = `${n} member${n > 1 ? 's' : ''}`;
  const first =
    n < 2
      ? ''
      : op.kind === 'Postgres'
        ? ' (standbys first)'
        : op.failovers === 0
          ? ' (replicas first)'
          : '';
  const failovers =
    op.failovers > 0 ? `, ${op.failovers} failover${op.failovers > 1 ? 's' : ''}` : '';
  const what =
    p.type === 'VolumeExpansion'
      ? `${n > 1 ? 'each of ' : ''}${members} taken down in turn`
      : `${n > 1 ? 'rolling ' : ''}restart of ${members}`;
  return `${what}${first}${failovers}`;
}
