/**
 * Rules on autoscalers: one per database, and only for a database with a volume whose
 * storage section matches the database's mode. Only the autoscaler kept for a database is
 * checked against it.
 */
import { codes } from '../../errors.js';
import type { Entry } from '../entry.js';
import { errorAt, referredSpec } from './rule.js';
import type { Rule, RuleContext } from './rule.js';

/** The database of an autoscaler that is kept for it; undefined for any other document. */
function keptFor(e: Entry, ctx: RuleContext): Entry['spec'] {
  const spec = e.autoscaler ? referredSpec(e, ctx) : undefined;
  return spec && ctx.autoscalerOf.get(spec.name) === e.autoscaler?.name ? spec : undefined;
}

/** Refuses a second autoscaler for a database, naming the first. */
export const oneAutoscalerPerDatabase: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const spec = e.autoscaler ? referredSpec(e, ctx) : undefined;
    const first = spec && ctx.autoscalerOf.get(spec.name);
    if (!spec || first === undefined || first === e.autoscaler?.name) return [];
    return [
      errorAt(
        e,
        ['spec', 'databaseRef', 'name'],
        codes.invalidField,
        `database "${spec.name}" already has the autoscaler "${first}": keep one autoscaler per database`,
      ),
    ];
  });

/** Refuses a storage section other than the database's mode (storage.cluster for a Cluster). */
export const storageSectionMatchesMode: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const spec = keptFor(e, ctx);
    if (!spec || e.section === undefined) return [];
    const mode = spec.kind === 'Redis' ? spec.mode.toLowerCase() : 'postgres';
    if (e.section === mode) return [];
    return [
      errorAt(
        e,
        ['spec', 'storage', e.section],
        codes.invalidField,
        `database "${spec.name}" is in ${spec.kind === 'Redis' ? spec.mode : 'Postgres'} mode: use storage.${mode}`,
        true,
      ),
    ];
  });
