/**
 * Rules across documents, in the order they run: unique names, references to existing
 * databases of the right kind and mode, and immutability of executed OpsRequests. (Ephemeral
 * storage is refused by name in known-fields.ts, so no rule here speaks of it.) Errors are
 * attributed to the database the document concerns, so that only that database waits for a
 * fix. The loader sorts errors by place; for one document the order here is the order of its
 * errors at one place (a duplicate name before an edited executed OpsRequest).
 */
import { oneAutoscalerPerDatabase, storageSectionMatchesMode } from './autoscalers.js';
import { initScriptSources, uniqueConfigMapNames } from './init-scripts.js';
import { redisMemoryHeadroom } from './memory-headroom.js';
import { uniqueAutoscalerNames, uniqueDatabaseNames, uniqueOpsRequestNames } from './names.js';
import { databaseReferences, executedOpsUnchanged, scalingNeedsCluster } from './references.js';
import type { Rule } from './rule.js';

export { ruleContext, runRules } from './rule.js';
export type { Rule, RuleContext } from './rule.js';

/** The cross-document rules the loader runs, in order. */
export const crossDocumentRules: readonly Rule[] = [
  uniqueDatabaseNames,
  uniqueOpsRequestNames,
  uniqueAutoscalerNames,
  executedOpsUnchanged,
  databaseReferences,
  scalingNeedsCluster,
  oneAutoscalerPerDatabase,
  storageSectionMatchesMode,
  uniqueConfigMapNames,
  initScriptSources,
  redisMemoryHeadroom,
];
