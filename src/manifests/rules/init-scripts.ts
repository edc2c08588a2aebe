/**
 * spec.init.script of a Postgres: the ConfigMap it names is in the repository, once, and each
 * of its keys is a .sql file. Errors are the database's (it waits for the fix), placed at the
 * field of the database or at the key of the ConfigMap.
 */
import { codes } from '../../errors.js';
import { initScriptProblem } from '../config-maps.js';
import { toManifestError } from '../entry.js';
import { error } from '../problem.js';
import { didYouMean } from '../suggest.js';
import { errorAt } from './rule.js';
import type { Rule } from './rule.js';

/** Refuses a second ConfigMap of the same name (which one would run?). */
export const uniqueConfigMapNames: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    if (!e.configMap) return [];
    const first = ctx.configMaps.get(e.configMap.name);
    if (!first || first === e) return [];
    return [
      errorAt(
        e,
        ['metadata', 'name'],
        codes.duplicateName,
        `ConfigMap ${e.configMap.name} is also defined in ${first.file}: keep one of them`,
      ),
    ];
  });

/** Refuses an init script source that is not in the repository, or not SQL. */
export const initScriptSources: Rule = (entries, ctx) =>
  entries.flatMap((e) => {
    const init = e.spec?.kind === 'Postgres' ? e.spec.init : undefined;
    if (!init?.configMap || init.initialized) return [];
    const name = init.configMap;
    const cm = ctx.configMaps.get(name);
    if (!cm?.configMap) {
      return [
        errorAt(
          e,
          ['spec', 'init', 'script', 'configMap', 'name'],
          codes.unknownConfigMap,
          `no ConfigMap named "${name}" in this revision.${didYouMean(name, ctx.configMaps.keys())} dbops reads init scripts from a ConfigMap manifest in the repository: kubectl create configmap ${name} --from-file=init.sql --dry-run=client -o yaml > databases/${name}.yaml`,
        ),
      ];
    }
    const at = { file: cm.file, locate: cm.locate, database: e.spec!.name };
    const keys = Object.keys(cm.configMap.data);
    if (keys.length === 0) {
      return [
        toManifestError(
          at,
          error(
            codes.invalidField,
            ['data'],
            `ConfigMap ${name} has no .sql file in data: add one`,
          ),
        ),
      ];
    }
    return keys.flatMap((key) => {
      const why = initScriptProblem(key);
      return why
        ? [toManifestError(at, { ...error(codes.unsupported, ['data', key], why), atKey: true })]
        : [];
    });
  });
