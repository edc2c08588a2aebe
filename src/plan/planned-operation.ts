/**
 * The vocabulary of the operations planner: what one operation on one database will do, as a
 * plain value. The controller stores its own record of an operation (reconcile/derive.ts); a
 * pull-request plan, the policies and the controller all start from this one.
 */
import type { DatabaseKind, OpsType } from '../api/desired.js';

/** Operation types: those an OpsRequest may name (the planner runs four of them). */
export type PlannedType = OpsType;

/** One setting a Reconfigure changes; `from`/`to` null when the key is added or removed. */
export interface SettingChange {
  key: string;
  from: string | null;
  to: string | null;
  /** True when the server cannot take the new value at run time. */
  restart: boolean;
}

/** What an operation changes, by type. */
export type PlannedParameters =
  | { type: 'VolumeExpansion'; fromBytes: number; toBytes: number; mode: 'Online' | 'Offline' }
  | {
      type: 'Reconfigure';
      changes: SettingChange[];
      /** The OpsRequest's restart policy (auto for a spec change). */
      restartPolicy: 'auto' | 'true' | 'false';
    }
  | { type: 'Restart' }
  | { type: 'HorizontalScaling'; fromReplicas: number; toReplicas: number };

/** One step of the member order: a member cycled (restarted, taken down) or a failover. */
export type PlannedStep =
  { kind: 'cycle'; member: string } | { kind: 'failover'; shard: number; from: string; to: string };

/** One operation the planner predicts for a database. */
export interface PlannedOperation {
  database: string;
  kind: DatabaseKind;
  type: PlannedType;
  /** An OpsRequest file, or a change of the database's spec file. */
  source: 'OpsRequest' | 'SpecChange';
  /** The OpsRequest's name, or null for a spec change. */
  name: string | null;
  /** The file that asks for it (the OpsRequest, or the database's spec file). */
  file: string;
  /** run: it will run; skip: nothing to do; fail: it will fail without changing anything. */
  outcome: 'run' | 'skip' | 'fail';
  /** Why it skips or fails; null when it runs. */
  message: string | null;
  /** Set when outcome is run, and for a failing VolumeExpansion (the size it asks for). */
  parameters: PlannedParameters | null;
  /** Members in the order they are touched, failovers included (empty when none is). */
  steps: PlannedStep[];
  /** Members restarted or taken down, in order. */
  restarts: string[];
  /** Failovers (Redis) or switchovers (Postgres) the operation makes. */
  failovers: number;
  /** False when `git revert` of it cannot undo it (a volume never shrinks). */
  reversible: boolean;
}
