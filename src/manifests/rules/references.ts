/**
 * References across documents and what they require: an OpsRequest or autoscaler names a
 * database of this revision, of the engine its kind is for; an OpsRequest's type suits that
 * database (a volume to expand, a Redis Cluster to scale); an executed OpsRequest is
 * immutable. A document whose reference fails is reported once, by databaseReferences.
 */
import { codes } from '../../errors.js';
import { didYouMean } from '../suggest.js';
import { errorAt, referral, referredSpec } from './rule.js';
import type { Rule } from './rule.js';

/** Refuses an OpsRequest whose content differs from the one recorded when it was executed. */
export const executedOpsUnchanged: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const recorded = e.op && ctx.executedOps?.get(e.op.name);
    if (!e.op || recorded === undefined || recorded === e.op.digest) return [];
    return [
      errorAt(
        e,
        ['metadata', 'name'],
        codes.opsEdited,
        `OpsRequest ${e.op.name} was executed with other content; an executed OpsRequest is immutable: revert this edit and create a new OpsRequest instead`,
      ),
    ];
  });

/** Refuses a databaseRef to no database, or to a database of the other engine. */
export const databaseReferences: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const r = referral(e, ctx);
    if (r?.to === 'nothing')
      return [
        errorAt(
          e,
          ['spec', 'databaseRef', 'name'],
          codes.unknownDatabase,
          `no database named "${r.name}" in this revision.${didYouMean(r.name, ctx.databases.keys())} Add databases/${r.name}.yaml or fix the name`,
        ),
      ];
    if (r?.to === 'otherKind')
      return [
        errorAt(
          e,
          ['kind'],
          codes.invalidField,
          `a ${e.kind} cannot refer to ${r.db.kind} database "${r.name}" (${r.db.file}): use kind ${r.db.kind}${e.kind?.replace(/^(Redis|Postgres)/, '') ?? ''}`,
        ),
      ];
    return [];
  });

/** Refuses a HorizontalScaling of a Standalone Redis. */
export const scalingNeedsCluster: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const spec = e.op?.type === 'HorizontalScaling' ? referredSpec(e, ctx) : undefined;
    if (spec?.kind !== 'Redis' || spec.mode !== 'Standalone') return [];
    return [
      errorAt(
        e,
        ['spec', 'horizontalScaling'],
        codes.invalidField,
        `database "${spec.name}" is a Standalone Redis, which runs one server: scaling needs mode: Cluster`,
        true,
      ),
    ];
  });
