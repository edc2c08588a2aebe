/**
 * The manifests of a revision -> the desired state: every YAML document parsed with
 * locations, validated, normalised, checked across documents, and each valid database folded
 * with its OpsRequests. Errors are attributed to databases so that the others go on.
 */
import type { Autoscaler, EffectiveDatabase, OpsRequest } from '../api/desired.js';
import type { ManifestError } from '../api/manifest-error.js';
import { codes } from '../errors.js';
import { maxManifestBytes, type SourceFile } from '../api/manifest-file.js';
import { opsDigest } from './digest.js';
import { initScriptsOf, isConfigMapDocument, readConfigMap } from './config-maps.js';
import { readDocument } from './document.js';
import type { Entry } from './entry.js';
import { toManifestError } from './entry.js';
import { foldDatabase } from './fold.js';
import { crossDocumentRules, ruleContext, runRules } from './rules/index.js';
import { parseYaml } from './yaml.js';

/** What the loader reads. */
export interface LoadInput {
  files: SourceFile[];
  revision: string;
  /** OpsRequest name -> digest recorded when it was executed. */
  executedOps?: ReadonlyMap<string, string>;
  /** Commit that last changed a file, for Origin.commit. */
  commitOf?: (path: string) => string | undefined;
}

/** The desired state of a revision: valid databases, and everything wrong with the others. */
export interface DesiredState {
  revision: string;
  databases: Map<string, EffectiveDatabase>;
  invalid: Map<string, ManifestError[]>;
  errors: ManifestError[];
  warnings: ManifestError[];
  /** Some error concerns no known database: a database missing from `databases` may not be removed. */
  incomplete: boolean;
  opsRequests: OpsRequest[];
  autoscalers: Autoscaler[];
}

const byPath = (a: { path: string }, b: { path: string }) =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
const byPlace = (a: ManifestError, b: ManifestError) =>
  (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column;

function fileError(
  file: string,
  code: ManifestError['code'],
  message: string,
  line = 1,
  column = 1,
): ManifestError {
  return { code, file, line, column, field: '', message };
}

/**
 * True for the files of the repository's own policies (the `policies/` folder at the top of
 * the desired state): the policy loader reads them, not this one.
 */
export function isPolicyPath(path: string): boolean {
  return path.startsWith('policies/');
}

/** Loads the desired state of a revision. Pure and total: it never throws. */
export function loadDesiredState(input: LoadInput): DesiredState {
  const errors: ManifestError[] = [];
  const warnings: ManifestError[] = [];
  const entries: Entry[] = [];
  for (const file of [...input.files].sort(byPath)) {
    if (!/\.ya?ml$/i.test(file.path) || isPolicyPath(file.path)) continue;
    try {
      readFile(file, input, entries, errors, warnings);
    } catch (err) {
      // A bug here must not hide the other files; the error is unattributed, so `incomplete`.
      errors.push(
        fileError(
          file.path,
          codes.internal,
          `could not read this file: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }
  }
  const ctx = ruleContext(entries, input.executedOps);
  errors.push(...runRules(crossDocumentRules, entries, ctx));
  return assemble(input.revision, entries, errors, warnings, ctx.configMaps);
}

function readFile(
  file: SourceFile,
  input: LoadInput,
  entries: Entry[],
  errors: ManifestError[],
  warnings: ManifestError[],
): void {
  if (file.content === null) {
    errors.push(
      fileError(
        file.path,
        codes.fileTooLarge,
        `is ${file.size} bytes, above the limit of ${maxManifestBytes}: split it into smaller files`,
      ),
    );
    return;
  }
  const { docs, problems } = parseYaml(file.content);
  for (const p of problems)
    (p.severity === 'error' ? errors : warnings).push(
      fileError(file.path, p.code, p.message, p.line, p.column),
    );
  const commit = input.commitOf?.(file.path);
  for (const d of docs) {
    const origin = {
      file: file.path,
      line: d.start.line,
      ...(commit === undefined ? {} : { commit }),
    };
    if (isConfigMapDocument(d.value)) {
      const c = readConfigMap(d.value as Record<string, unknown>);
      const entry: Entry = {
        problems: c.problems,
        file: file.path,
        origin,
        locate: d.locate,
        ...(c.configMap ? { configMap: c.configMap, name: c.configMap.name } : {}),
      };
      for (const p of c.problems) errors.push(toManifestError(entry, p));
      entries.push(entry);
      continue;
    }
    const r = readDocument(d.value);
    const entry: Entry = { ...r, file: file.path, origin, locate: d.locate };
    for (const p of r.problems)
      (p.severity === 'error' ? errors : warnings).push(toManifestError(entry, p));
    const v = r.value;
    if (v?.type === 'database' && v.spec) {
      entry.spec = v.spec;
      entry.labels = labelsOf(d.value);
    }
    if (v?.type === 'ops' && v.op) entry.op = { ...v.op, origin, digest: opsDigest(v.op) };
    if (v?.type === 'autoscaler' && v.autoscaler) {
      entry.autoscaler = { ...v.autoscaler, origin };
      if (v.section) entry.section = v.section;
    }
    entries.push(entry);
  }
}

/** metadata.labels of a document the schema accepted (string to string). */
function labelsOf(doc: unknown): Record<string, string> {
  const labels = (doc as { metadata?: { labels?: Record<string, string> } }).metadata?.labels;
  return labels ? { ...labels } : {};
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function assemble(
  revision: string,
  entries: Entry[],
  errors: ManifestError[],
  warnings: ManifestError[],
  configMaps: ReadonlyMap<string, Entry>,
): DesiredState {
  errors.sort(byPlace);
  warnings.sort(byPlace);
  const invalid = new Map<string, ManifestError[]>();
  let incomplete = false;
  for (const e of errors) {
    if (e.database === undefined) incomplete = true;
    else push(invalid, e.database, e);
  }
  const opsOf = new Map<string, OpsRequest[]>();
  const scalersOf = new Map<string, Autoscaler[]>();
  for (const e of entries) {
    if (e.op) push(opsOf, e.op.database, e.op);
    if (e.autoscaler) push(scalersOf, e.autoscaler.database, e.autoscaler);
  }
  const databases = new Map<string, EffectiveDatabase>();
  for (const e of entries) {
    if (!e.spec || invalid.has(e.spec.name)) continue;
    const init = e.spec.kind === 'Postgres' ? e.spec.init : undefined;
    const scripts = init?.configMap ? configMaps.get(init.configMap) : undefined;
    const ops = opsOf.get(e.spec.name) ?? [];
    const folded = foldDatabase(e.spec, e.origin, ops);
    databases.set(e.spec.name, {
      ...folded,
      base: e.spec,
      origin: e.origin,
      ops,
      autoscalers: scalersOf.get(e.spec.name) ?? [],
      labels: e.labels ?? {},
      ...(scripts?.configMap
        ? { initScripts: initScriptsOf(scripts.configMap, scripts.origin) }
        : {}),
    });
  }
  const valid = (db: string) => databases.has(db);
  return {
    revision,
    databases,
    invalid,
    errors,
    warnings,
    incomplete,
    opsRequests: entries.flatMap((e) => (e.op && valid(e.op.database) ? [e.op] : [])),
    autoscalers: entries.flatMap((e) =>
      e.autoscaler && valid(e.autoscaler.database) ? [e.autoscaler] : [],
    ),
  };
}
