/**
 * The shape of a cross-document rule and what every rule may read: the executed OpsRequests
 * and lookups built once per revision, so that each rule stays linear in the documents.
 */
import type { ManifestError } from '../../api/manifest-error.js';
import type { Entry } from '../entry.js';
import { toManifestError } from '../entry.js';
import { familyOf, kindRegistry } from '../kind-registry.js';
import { error } from '../problem.js';
import type { PathSegment } from '../problem.js';

/** What the rules share: given by the loader, or built once from the entries. */
export interface RuleContext {
  /** OpsRequest name -> digest recorded when it was executed. */
  executedOps: ReadonlyMap<string, string> | undefined;
  /** Database name -> the first database document of that name. */
  databases: ReadonlyMap<string, Entry>;
  /** Database name -> the autoscaler kept for it: the first that refers to it validly. */
  autoscalerOf: ReadonlyMap<string, string>;
  /** ConfigMap name -> the first valid ConfigMap document of that name. */
  configMaps: ReadonlyMap<string, Entry>;
}

/** One check across the documents of a revision; returns its errors, in document order. */
export type Rule = (entries: readonly Entry[], ctx: RuleContext) => ManifestError[];

/** Applies the rules in order and concatenates their errors. */
export function runRules(
  rules: readonly Rule[],
  entries: readonly Entry[],
  ctx: RuleContext,
): ManifestError[] {
  return rules.flatMap((rule) => rule(entries, ctx));
}

/** Builds the context of the rules from the entries of a revision. */
export function ruleContext(
  entries: readonly Entry[],
  executedOps: ReadonlyMap<string, string> | undefined,
): RuleContext {
  const databases = new Map<string, Entry>();
  for (const e of entries)
    if (familyOf(e.kind) === 'database' && e.name !== undefined && !databases.has(e.name))
      databases.set(e.name, e);
  const autoscalerOf = new Map<string, string>();
  const configMaps = new Map<string, Entry>();
  for (const e of entries)
    if (e.configMap && !configMaps.has(e.configMap.name)) configMaps.set(e.configMap.name, e);
  const ctx = { executedOps, databases, autoscalerOf, configMaps };
  for (const e of entries) {
    const spec = referredSpec(e, ctx);
    if (e.autoscaler && spec && !autoscalerOf.has(spec.name))
      autoscalerOf.set(spec.name, e.autoscaler.name);
  }
  return ctx;
}

/** Where the databaseRef of a valid OpsRequest or autoscaler leads; undefined for others. */
export type Referral =
  | { to: 'database'; db: Entry }
  | { to: 'nothing'; name: string }
  | { to: 'otherKind'; name: string; db: Entry };

/** Follows the databaseRef of a valid OpsRequest or autoscaler. */
export function referral(e: Entry, ctx: RuleContext): Referral | undefined {
  const name = e.op?.database ?? e.autoscaler?.database;
  if (name === undefined) return undefined;
  const db = ctx.databases.get(name);
  if (!db) return { to: 'nothing', name };
  if (e.kind === undefined || db.kind !== kindRegistry[e.kind].databaseKind)
    return { to: 'otherKind', name, db };
  return { to: 'database', db };
}

/** The valid database a valid OpsRequest or autoscaler refers to, of the right kind. */
export function referredSpec(e: Entry, ctx: RuleContext): Entry['spec'] {
  const r = referral(e, ctx);
  return r?.to === 'database' ? r.db.spec : undefined;
}

/** An error at `path` of an entry's document, attributed to the entry's database. */
export function errorAt(
  e: Entry,
  path: PathSegment[],
  code: ManifestError['code'],
  message: string,
  atKey = false,
): ManifestError {
  return toManifestError(e, { ...error(code, path, message), atKey });
}
