/**
 * Policy files -> the policies in force: the built-in set, overridden where a built-in says
 * `overridable: true`, plus the repository's own rules. Every problem is located like a
 * manifest error (file, line, column, field).
 */
import type { ManifestError } from '../api/manifest-error.js';
import { maxManifestBytes } from '../api/manifest-file.js';
import type { SourceFile } from '../api/manifest-file.js';
import { codes } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { toManifestError } from '../manifests/entry.js';
import { isPolicyPath } from '../manifests/load.js';
import { error } from '../manifests/problem.js';
import type { Problem } from '../manifests/problem.js';
import type { Locator } from '../manifests/yaml.js';
import { parseYaml } from '../manifests/yaml.js';
import { readPolicyDocument } from './document.js';
import { builtInPrefix } from './policy.js';
import type { Policy } from './policy.js';

/** The policies in force, and what is wrong with the files. */
export interface LoadedPolicies {
  policies: Policy[];
  errors: ManifestError[];
  warnings: ManifestError[];
}

interface Entry {
  file: string;
  line: number;
  locate: Locator;
  name?: string;
  policy?: Policy;
}

const byPath = (a: SourceFile, b: SourceFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** How a built-in file is shown: `dbops:policies/storage.yaml`. */
export function builtInPath(path: string): string {
  return path.startsWith(builtInPrefix) ? path : `${builtInPrefix}${path}`;
}

function fileError(
  file: string,
  code: ErrorCode,
  message: string,
  line = 1,
  column = 1,
): ManifestError {
  return { code, file, line, column, field: '', message };
}

class Collector {
  readonly errors: ManifestError[] = [];
  readonly warnings: ManifestError[] = [];

  add(e: ManifestError, severity: 'error' | 'warning'): void {
    (severity === 'error' ? this.errors : this.warnings).push(e);
  }

  problem(entry: Entry, p: Problem): void {
    this.add(toManifestError(entry, p), p.severity);
  }
}

function readFile(file: SourceFile, builtIn: boolean, out: Collector): Entry[] {
  const path = builtIn ? builtInPath(file.path) : file.path;
  if (file.content === null) {
    const message = `is ${file.size} bytes, above the limit of ${maxManifestBytes}: split it into smaller files`;
    out.add(fileError(path, codes.fileTooLarge, message), 'error');
    return [];
  }
  const { docs, problems } = parseYaml(file.content);
  for (const p of problems)
    out.add(fileError(path, p.code, p.message, p.line, p.column), p.severity);
  return docs.map((d) => {
    const r = readPolicyDocument(d.value);
    const entry: Entry = { file: path, line: d.start.line, locate: d.locate };
    if (r.name !== undefined) entry.name = r.name;
    for (const p of r.problems) out.problem(entry, p);
    if (r.policy) entry.policy = { ...r.policy, file: path, line: d.start.line, builtIn };
    return entry;
  });
}

function readAll(files: readonly SourceFile[], builtIn: boolean, out: Collector): Entry[] {
  const entries: Entry[] = [];
  for (const file of [...files].sort(byPath)) {
    if (!/\.ya?ml$/i.test(file.path)) continue;
    try {
      entries.push(...readFile(file, builtIn, out));
    } catch (err) {
      const path = builtIn ? builtInPath(file.path) : file.path;
      const why = err instanceof Error ? err.message : String(err);
      out.add(fileError(path, codes.internal, `could not read this file: ${why}`), 'error');
    }
  }
  return entries;
}

const nameAt = ['metadata', 'name'];
const where = (e: Entry) => `${e.file}:${e.line}`;

/**
 * Loads the built-in and the repository policies. Pure and total: it never throws. A
 * repository policy with the name of a built-in replaces it only when the built-in is
 * overridable and the replacement is valid (an invalid one leaves the built-in in force).
 * Callers should refuse to apply anything while `errors` is not empty: a policy that failed
 * to load is not enforced.
 */
export function loadPolicies(input: {
  builtIn: SourceFile[];
  repository: SourceFile[];
}): LoadedPolicies {
  const out = new Collector();
  const builtIns = new Map<string, Entry>();
  const inForce: Policy[] = [];
  for (const e of readAll(input.builtIn, true, out)) {
    if (e.name === undefined) continue;
    const first = builtIns.get(e.name);
    if (first) {
      out.problem(
        e,
        error(
          codes.duplicateName,
          nameAt,
          `built-in policy ${e.name} is also defined at ${where(first)}: names must be unique`,
        ),
      );
      continue;
    }
    builtIns.set(e.name, e);
    if (e.policy) inForce.push(e.policy);
  }
  const seen = new Map<string, Entry>();
  const added: Policy[] = [];
  for (const e of readAll(input.repository, false, out)) {
    if (e.name === undefined) continue;
    const first = seen.get(e.name);
    if (first) {
      out.problem(
        e,
        error(
          codes.duplicateName,
          nameAt,
          `policy ${e.name} is already defined at ${where(first)}: give this one another name`,
        ),
      );
      continue;
    }
    seen.set(e.name, e);
    const base = builtIns.get(e.name);
    if (base === undefined) {
      if (e.policy) added.push(e.policy);
      continue;
    }
    if (!base.policy?.overridable) {
      const message = `policy ${e.name} is a built-in (${where(base)}) that may not be overridden: give this policy another name; it can add a rule but not replace this one`;
      out.problem(e, error(codes.policyNotOverridable, nameAt, message));
      continue;
    }
    if (e.policy) {
      const i = inForce.indexOf(base.policy);
      inForce[i] = { ...e.policy, replaces: where(base) };
    }
  }
  return { policies: [...inForce, ...added], errors: out.errors, warnings: out.warnings };
}

/**
 * The policies in force for a revision: the built-in set and the revision's own `policies/`
 * folder (`files`: all of the revision's manifests). Pure.
 */
export function revisionPolicies(
  builtIn: SourceFile[],
  files: readonly SourceFile[],
): LoadedPolicies {
  return loadPolicies({ builtIn, repository: files.filter((f) => isPolicyPath(f.path)) });
}
