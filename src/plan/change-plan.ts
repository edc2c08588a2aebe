/**
 * The operational plan of a change: two desired states (a pull request's base and head, or
 * what a controller applied and a new head) -> per database, what the change will cause and
 * how it runs, with the policies' verdicts. The same decisions as the controller's: plan()
 * for provision / halt / wipe / keep, planOperations for the operations. Pure.
 */
import type { DatabaseSpec, EffectiveDatabase, OpsRequest } from '../api/desired.js';
import type { ManifestError } from '../api/manifest-error.js';
import { formatBytes } from '../api/quantity.js';
import { estimateDuration, type Estimate, type PastOperation } from './estimate.js';
import { planOperations } from './operations.js';
import { plan } from './plan.js';
import type { PlannedOperation } from './planned-operation.js';
import type { RollingMember } from './rolling.js';
import { topology } from './topology.js';

/** A policy's verdict on a database's change (the policy module's Verdict fits). */
export interface PlanVerdict {
  policy: string;
  file: string;
  line: number;
  effect: 'deny' | 'wait';
  /** What is wrong and what to do, starting with the policy and where it is written. */
  message: string;
  /** Index in the database's operations, when the verdict is about one of them. */
  operation?: number;
  /** When a closed change window opens next (epoch ms). */
  opensAt?: number;
}

/** What a policy set judges: a database's target, what it runs at, its planned operations. */
export interface PlanSubject {
  database: DatabaseSpec;
  labels: Record<string, string>;
  before: DatabaseSpec | null;
  operations: PlannedOperation[];
}

/** The policies, as a function of the subject. */
export type Judge = (subject: PlanSubject) => PlanVerdict[];

/** One side of the comparison: a revision's desired state. */
export interface PlanSide {
  revision: string;
  databases: ReadonlyMap<string, EffectiveDatabase>;
  invalid: ReadonlyMap<string, ManifestError[]>;
  incomplete: boolean;
}

/** What a running controller knows, for a live plan: it replaces the base's assumptions. */
export interface LiveState {
  /** The spec each database runs at. */
  applied: ReadonlyMap<string, DatabaseSpec>;
  /** Names of OpsRequests that already ran (or were applied at creation). */
  executed: ReadonlySet<string>;
  /** Databases the runtime holds anything for. */
  present: ReadonlySet<string>;
  haltedForRemoval: ReadonlySet<string>;
  /** The members' actual roles, per database. */
  members?: ReadonlyMap<string, readonly RollingMember[]>;
  /** Operations that finished, with how long they took (for estimates). */
  past?: readonly PastOperation[];
}

/** What happens to one database. */
export type DatabaseChange =
  'create' | 'update' | 'halt' | 'resume' | 'wipe' | 'keep' | 'invalid' | 'unchanged';

/** One database's part of the plan. */
export interface DatabasePlan {
  name: string;
  kind: DatabaseSpec['kind'] | null;
  change: DatabaseChange;
  /** What the change does, in words (provisioning, halting, why it is kept). */
  summary: string;
  operations: PlannedOperation[];
  /** How long each operation will take, when a live plan has comparable past ones. */
  estimates: (Estimate | null)[];
  /** Things a reviewer must know that are not operations (a size that stays, unsupported changes). */
  notes: string[];
  /** Errors of the head's manifests for this database: it is not changed. */
  errors: ManifestError[];
  verdicts: PlanVerdict[];
}

/** The whole plan. */
export interface ChangePlan {
  base: string;
  head: string;
  live: boolean;
  /** Databases with something to say, sorted by name; unchanged ones are counted only. */
  databases: DatabasePlan[];
  unchanged: number;
  /** Head errors that concern no database (a file that cannot be read). */
  errors: ManifestError[];
}

/**
 * Plans the change from `base` to `head`. Without `live`, the base is taken as applied: every
 * base database runs at its base spec, and every OpsRequest of the base has run.
 */
export function planChange(input: {
  base: PlanSide;
  head: PlanSide & { errors: readonly ManifestError[] };
  live?: LiveState;
  judge?: Judge;
}): ChangePlan {
  const { base, head, live } = input;
  const applied = new Map<string, DatabaseSpec>();
  if (live) for (const [n, s] of live.applied) applied.set(n, s);
  else for (const [n, d] of base.databases) applied.set(n, d.spec);
  const executed = live?.executed ?? new Set(opsOf(base).map((o) => o.name));
  const actions = plan(
    { databases: head.databases, invalid: head.invalid, incomplete: head.incomplete },
    {
      lastGood: applied,
      present: live?.present ?? new Set(base.databases.keys()),
      haltedForRemoval: live?.haltedForRemoval ?? new Set(),
    },
  );
  const databases: DatabasePlan[] = [];
  let unchanged = 0;
  for (const action of actions) {
    const name = action.database;
    const before = applied.get(name) ?? null;
    const wanted = head.databases.get(name);
    const errors = head.invalid.get(name) ?? [];
    const out: DatabasePlan = {
      name,
      kind: wanted?.spec.kind ?? before?.kind ?? null,
      change: 'unchanged',
      summary: '',
      operations: [],
      estimates: [],
      notes: [...(wanted?.notes ?? [])],
      errors,
      verdicts: [],
    };
    if (errors.length > 0) {
      out.change = 'invalid';
      out.summary = before
        ? `not changed: ${errors.length} error(s) in its manifests; it stays at what it runs now`
        : `not created: ${errors.length} error(s) in its manifests`;
    } else if (action.type === 'wipe') {
      out.change = 'wipe';
      out.summary = `the manifest is removed and its last spec says deletionPolicy WipeOut: its members, volumes and secrets are deleted`;
    } else if (action.type === 'keep') {
      if (!live?.haltedForRemoval.has(name)) {
        out.change = 'keep';
        out.summary = action.message;
      }
    } else if (action.type === 'halt') {
      if (before?.halted !== true || action.reason === 'removed') {
        out.change = 'halt';
        out.summary =
          action.reason === 'removed'
            ? `halted, data kept: the manifest is removed (deletionPolicy ${before?.deletionPolicy ?? 'Delete'}; only WipeOut deletes data)`
            : 'halted, data kept: spec.halted is true';
      }
    } else if (!before) {
      out.change = 'create';
      out.summary = `provisioned: ${describeSpec(action.spec)}`;
      const atCreation = wanted?.ops.filter((o) => !executed.has(o.name)) ?? [];
      if (atCreation.length > 0) {
        out.notes.push(
          `${atCreation.length} OpsRequest(s) are part of its first spec and do not run: ${atCreation.map((o) => o.name).join(', ')}`,
        );
      }
    } else if (wanted) {
      const pending = wanted.ops.filter((o) => !executed.has(o.name));
      const members = live?.members?.get(name);
      const p = planOperations({
        applied: before,
        target: action.spec,
        file: wanted.origin.file,
        pending,
        ...(members ? { members } : {}),
      });
      out.operations = p.operations;
      const count = members?.length ?? topology(before).length;
      out.estimates = p.operations.map((o) => estimateDuration(o, count, live?.past ?? []) ?? null);
      if (p.notes.volumeStays) out.notes.push(p.notes.volumeStays);
      if (p.notes.unsupported) out.notes.push(p.notes.unsupported);
      const fields = directChanges(before, p.after);
      if (before.halted) {
        out.change = 'resume';
        out.summary = 'started again (spec.halted is no longer true)';
      } else if (p.operations.length > 0 || fields.length > 0 || out.notes.length > 0) {
        out.change = 'update';
        out.summary = fields.length > 0 ? `changed without an operation: ${fields.join(', ')}` : '';
      }
    }
    if (input.judge && wanted && out.change !== 'invalid') {
      out.verdicts = input.judge({
        database: wanted.spec,
        labels: wanted.labels,
        before,
        operations: out.operations,
      });
      if (out.verdicts.length > 0 && out.change === 'unchanged') out.change = 'update';
    }
    if (out.change === 'unchanged') unchanged++;
    else databases.push(out);
  }
  const attributed = new Set(head.invalid.keys());
  return {
    base: base.revision,
    head: head.revision,
    live: live !== undefined,
    databases,
    unchanged,
    errors: head.errors.filter((e) => e.database === undefined || !attributed.has(e.database)),
  };
}

/** True when the plan may be merged: no policy denies and no manifest is invalid. */
export function planAllowed(p: ChangePlan): boolean {
  return (
    p.errors.length === 0 &&
    p.databases.every((d) => d.errors.length === 0 && d.verdicts.every((v) => v.effect !== 'deny'))
  );
}

function opsOf(side: PlanSide): OpsRequest[] {
  return [...side.databases.values()].flatMap((d) => d.ops);
}

/** A database spec in a few words: kind, topology, size, version. */
export function describeSpec(s: DatabaseSpec): string {
  const size = s.storageType === 'Ephemeral' ? 'ephemeral' : `${formatBytes(s.storageBytes)} each`;
  const shape =
    s.kind === 'Redis'
      ? s.mode === 'Cluster'
        ? `Redis Cluster, ${s.shards} shards x ${s.replicas} members`
        : 'Redis standalone, 1 member'
      : `Postgres, ${s.replicas} member${s.replicas > 1 ? 's (1 primary, ' + String(s.replicas - 1) + ' standby)' : ''}`;
  return `${shape}, ${size}, version ${s.version}, deletionPolicy ${s.deletionPolicy}`;
}

/** Fields the controller changes without an operation (DESIGN §2: ensure applies them). */
function directChanges(before: DatabaseSpec, after: DatabaseSpec): string[] {
  const fields: [string, string | undefined, string | undefined][] = [
    ['deletionPolicy', before.deletionPolicy, after.deletionPolicy],
    ['storageClassName', before.storageClassName, after.storageClassName],
    ['authSecret', before.authSecretName, after.authSecretName],
    ['configuration.secretName', before.configSecretName, after.configSecretName],
    ['resources', JSON.stringify(before.resources ?? {}), JSON.stringify(after.resources ?? {})],
  ];
  return fields
    .filter(([, a, b]) => a !== b)
    .map(([f, a, b]) => `${f} ${a ?? '(unset)'} -> ${b ?? '(unset)'}`);
}
