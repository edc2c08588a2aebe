import type { DatabaseSpec, EffectiveDatabase, InitScripts } from '../api/desired.js';
import type { ManifestError } from '../api/manifest-error.js';

/** What the controller does with one database in this round. */
export type Action =
  /** Bring the database to `spec`; `stale` when the newest revision is invalid for it. */
  | {
      type: 'ensure';
      database: string;
      spec: DatabaseSpec;
      stale: boolean;
      /** The init scripts the spec names, from the same revision (absent when stale). */
      initScripts?: InitScripts;
    }
  /** Stop the members and keep the data. */
  | { type: 'halt'; database: string; reason: 'spec' | 'removed'; message: string }
  /** Stop the members and delete everything (last spec said WipeOut). */
  | { type: 'wipe'; database: string; message: string }
  /** Leave the database as it is and say why. */
  | { type: 'keep'; database: string; message: string };

/** The desired side of the plan: what the newest revision says. */
export interface PlanDesired {
  databases: ReadonlyMap<string, EffectiveDatabase>;
  invalid: ReadonlyMap<string, ManifestError[]>;
  /** Some error could not be attributed: a missing database may only be unreadable. */
  incomplete: boolean;
}

/** The known side: what was applied before, per database. */
export interface PlanKnown {
  /** The last good effective spec applied to each database. */
  lastGood: ReadonlyMap<string, DatabaseSpec>;
  /** Databases the runtime holds anything for, halted ones included. */
  present: ReadonlySet<string>;
  /** Databases already halted because their manifest was removed. */
  haltedForRemoval: ReadonlySet<string>;
}

/**
 * Decides one action per database from the newest desired state and what was applied
 * before. Pure: no I/O, no clock. Databases are returned sorted by name.
 */
export function plan(desired: PlanDesired, known: PlanKnown): Action[] {
  const names = new Set<string>([
    ...desired.databases.keys(),
    ...desired.invalid.keys(),
    ...known.lastGood.keys(),
    ...known.present,
  ]);
  return [...names].sort().map((name) => decide(name, desired, known));
}

function decide(name: string, desired: PlanDesired, known: PlanKnown): Action {
  const wanted = desired.databases.get(name);
  if (wanted) return fromSpec(name, wanted.spec, false, wanted.initScripts);

  const errors = desired.invalid.get(name);
  const last = known.lastGood.get(name);
  if (errors) {
    if (last) return fromSpec(name, last, true);
    return {
      type: 'keep',
      database: name,
      message: `manifests are invalid (${errors.length} error(s)) and no earlier revision was applied: nothing to do until they are fixed`,
    };
  }

  if (desired.incomplete) {
    return {
      type: 'keep',
      database: name,
      message:
        'not in the newest revision, but some manifests could not be read: the database is kept as it is until they are fixed',
    };
  }
  if (last?.deletionPolicy === 'WipeOut') {
    return {
      type: 'wipe',
      database: name,
      message: 'manifest removed and its last spec said deletionPolicy WipeOut: data deleted',
    };
  }
  if (last?.deletionPolicy === 'DoNotTerminate') {
    return {
      type: 'keep',
      database: name,
      message:
        'manifest removed but its last spec said deletionPolicy DoNotTerminate: still running; restore the file, change deletionPolicy first, then remove it',
    };
  }
  if (known.haltedForRemoval.has(name)) {
    return { type: 'keep', database: name, message: 'manifest removed: halted, data kept' };
  }
  return {
    type: 'halt',
    database: name,
    reason: 'removed',
    message: last
      ? `manifest removed: halted, data kept (deletionPolicy ${last.deletionPolicy}; only WipeOut deletes data)`
      : 'no manifest and no applied spec: halted, data kept',
  };
}

function fromSpec(
  name: string,
  spec: DatabaseSpec,
  stale: boolean,
  initScripts?: InitScripts,
): Action {
  if (spec.halted) {
    return { type: 'halt', database: name, reason: 'spec', message: 'spec.halted is true' };
  }
  return { type: 'ensure', database: name, spec, stale, ...(initScripts ? { initScripts } : {}) };
}
