import { Cond, Reason } from '../api/conditions.js';
import type { DatabaseSpec } from '../api/desired.js';
import type { DesiredState } from '../manifests/load.js';
import { setCondition } from './conditions.js';
import { effectiveFields } from './ledger.js';
import type { ControllerState, DatabaseRecord } from './store.js';

/** The record of a database, created empty (Provisioning) the first time it is named. */
export function recordOf(
  state: ControllerState,
  name: string,
  spec?: DatabaseSpec,
): DatabaseRecord {
  let rec = state.databases[name];
  if (!rec) {
    rec = {
      name,
      kind: spec?.kind ?? 'Redis',
      mode: spec?.kind === 'Redis' ? spec.mode : 'Standalone',
      lastGood: null,
      lastGoodRevision: null,
      applied: null,
      effective: {},
      haltedForRemoval: false,
      phase: 'Provisioning',
      runningVersion: null,
      conditions: [],
      members: [],
    };
    state.databases[name] = rec;
  }
  return rec;
}

/**
 * Takes a newly loaded revision into the records: a valid database gets its target (last
 * good spec), provenance and ManifestValid True; an invalid one ManifestValid False with its
 * first error, and keeps its last good spec.
 */
export function recordDesired(state: ControllerState, desired: DesiredState, now: number): void {
  const rev = state.revision?.slice(0, 12) ?? '?';
  for (const [name, errors] of desired.invalid) {
    const rec = recordOf(state, name);
    const first = errors[0];
    const where = first
      ? `, first: ${first.file}:${first.line}:${first.column} ${first.field}: ${first.message}`
      : '';
    setCondition(
      rec.conditions,
      now,
      Cond.ManifestValid,
      'False',
      rec.lastGood ? Reason.KeptAtLastGoodRevision : Reason.InvalidManifest,
      `${errors.length} error(s) at ${rev}${where}`,
    );
  }
  for (const [name, eff] of desired.databases) {
    const rec = recordOf(state, name, eff.spec);
    setCondition(rec.conditions, now, Cond.ManifestValid, 'True', Reason.Succeeded, '');
    rec.effective = effectiveFields(eff);
    rec.lastGood = eff.spec;
    rec.lastGoodRevision = state.revision;
  }
}
