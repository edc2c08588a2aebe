/**
 * Unique names: two databases, two OpsRequests or two autoscalers of the same name are both
 * refused, each error naming the other places, so that neither wins silently.
 */
import { codes } from '../../errors.js';
import type { ManifestError } from '../../api/manifest-error.js';
import type { Entry } from '../entry.js';
import { familyOf } from '../kind-registry.js';
import type { KindFamily } from '../kind-registry.js';
import { errorAt } from './rule.js';
import type { Rule } from './rule.js';

function groupByName(entries: readonly Entry[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    if (e.name === undefined) continue;
    const list = groups.get(e.name);
    if (list) list.push(e);
    else groups.set(e.name, [e]);
  }
  return groups;
}

/** A rule refusing every document of `family` whose name another document of it has too. */
function uniqueNames(family: KindFamily, what: string): Rule {
  return (entries) => {
    const out: ManifestError[] = [];
    for (const [name, list] of groupByName(entries.filter((e) => familyOf(e.kind) === family))) {
      if (list.length < 2) continue;
      for (const e of list) {
        const others = list
          .filter((o) => o !== e)
          .map((o) => `${o.file}:${o.origin.line ?? 1} (${o.kind})`);
        const message = `${what} "${name}" is also defined in ${others.join(', ')}: ${what} names must be unique; rename or remove one`;
        out.push(errorAt(e, ['metadata', 'name'], codes.duplicateName, message));
      }
    }
    return out;
  };
}

/** Refuses two databases of one name, whatever their kinds. */
export const uniqueDatabaseNames: Rule = uniqueNames('database', 'database');
/** Refuses two OpsRequests of one name, whatever their kinds. */
export const uniqueOpsRequestNames: Rule = uniqueNames('ops', 'OpsRequest');
/** Refuses two autoscalers of one name, whatever their kinds. */
export const uniqueAutoscalerNames: Rule = uniqueNames('autoscaler', 'autoscaler');
