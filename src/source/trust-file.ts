/**
 * The trusted-keys file (`--trusted-keys FILE`): YAML naming each key that may sign the
 * commits dbops applies, and the paths it may change. Parsing is pure and returns located
 * problems; loading reads the public keys (inline or from files next to the file).
 */
import * as z from 'zod';
import { issuesToProblems } from '../manifests/issues.js';
import { describeValue, fieldName } from '../manifests/problem.js';
import type { PathSegment } from '../manifests/problem.js';
import { parseYaml } from '../manifests/yaml.js';
import { allChanges, botPaths, globProblem } from './trust.js';
import type { Change, PathRule } from './trust.js';

/** A problem of the trusted-keys file: `file:line: field: message`. */
export interface TrustProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

/** One key of the file, before its public key is read. */
export interface TrustedKeyEntry {
  name: string;
  /** The armored key written inline, or the path of a file holding it (as written). */
  publicKey: { armored: string } | { file: string };
  paths: readonly PathRule[];
  /** The lines of the entry and of its publicKey/publicKeyFile field, for later problems. */
  line: number;
  keyLine: number;
}

const entrySchema = z.strictObject({
  name: z.string().min(1),
  role: z.enum(['bot']).optional(),
  publicKey: z.string().min(1).optional(),
  publicKeyFile: z.string().min(1).optional(),
  paths: z.array(z.unknown()).min(1).optional(),
});
const fileSchema = z.strictObject({ keys: z.array(entrySchema).min(1) });

const ruleForms =
  "write a glob ('**': any change), { add: 'ops/**' } (new files only), " +
  "or { path: 'docs/**', changes: [add, modify, delete] }";

/** Renders a problem as `file:line: field: message`. */
export function formatTrustProblem(p: TrustProblem): string {
  return `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;
}

function parseRule(raw: unknown): PathRule | string {
  let pattern: unknown;
  let changes: readonly Change[];
  const obj = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const keys = obj ? Object.keys(raw).sort().join(',') : '';
  if (typeof raw === 'string') [pattern, changes] = [raw, allChanges];
  else if (keys === 'add') [pattern, changes] = [(raw as { add: unknown }).add, ['add']];
  else if (keys === 'changes,path') {
    const r = raw as { path: unknown; changes: unknown };
    const list = Array.isArray(r.changes) ? (r.changes as unknown[]) : [];
    if (list.length === 0 || list.some((c) => !allChanges.includes(c as Change)))
      return `changes must be a list of add, modify, delete, got ${describeValue(r.changes)}`;
    [pattern, changes] = [r.path, [...new Set(list as Change[])]];
  } else return `must be a glob or a mapping, got ${describeValue(raw)}: ${ruleForms}`;
  if (typeof pattern !== 'string')
    return `the glob must be a string, got ${describeValue(pattern)}`;
  const problem = globProblem(pattern);
  return problem === undefined ? { pattern, changes } : `glob '${pattern}' ${problem}`;
}

/**
 * Parses and validates the text of a trusted-keys file. Never throws: returns every problem
 * with its line and field, or the entries (a `role: bot` key without `paths` gets the bot's
 * default scope: only adds under ops/).
 */
export function parseTrustedKeys(
  text: string,
  file: string,
): { ok: true; entries: TrustedKeyEntry[] } | { ok: false; problems: TrustProblem[] } {
  const { docs, problems: yamlProblems } = parseYaml(text);
  const errors = yamlProblems.filter((p) => p.severity === 'error');
  if (errors.length > 0)
    return {
      ok: false,
      problems: errors.map((p) => ({ file, line: p.line, field: '', message: p.message })),
    };
  const doc = docs[0];
  if (!doc || docs.length > 1) {
    const message = doc ? 'must hold one YAML document' : 'is empty: write keys: [...]';
    return { ok: false, problems: [{ file, line: docs[1]?.start.line ?? 1, field: '', message }] };
  }
  const problems: TrustProblem[] = [];
  const add = (path: PathSegment[], message: string, atKey = false) =>
    problems.push({
      file,
      line: doc.locate(path, { atKey }).line,
      field: fieldName(path),
      message,
    });
  const parsed = fileSchema.safeParse(doc.value);
  if (!parsed.success) {
    for (const p of issuesToProblems(parsed.error.issues, doc.value, fileSchema))
      add(p.path, p.message, p.atKey);
    return { ok: false, problems };
  }
  const entries: TrustedKeyEntry[] = [];
  const names = new Set<string>();
  parsed.data.keys.forEach((k, i) => {
    const at = (...rest: PathSegment[]): PathSegment[] => ['keys', i, ...rest];
    if (names.has(k.name))
      add(at('name'), `the name "${k.name}" is used twice: names must be unique`);
    names.add(k.name);
    if ((k.publicKey === undefined) === (k.publicKeyFile === undefined))
      add(at(), 'set exactly one of publicKey (the armored key) or publicKeyFile (a path)');
    if (k.paths === undefined && k.role !== 'bot')
      add(
        at(),
        "paths is required, for example paths: ['**'] for any change, or role: bot for adds under ops/ only",
      );
    const paths: PathRule[] = [];
    (k.paths ?? []).forEach((raw, j) => {
      const rule = parseRule(raw);
      if (typeof rule === 'string') add(at('paths', j), rule);
      else paths.push(rule);
    });
    entries.push({
      name: k.name,
      publicKey:
        k.publicKeyFile !== undefined ? { file: k.publicKeyFile } : { armored: k.publicKey ?? '' },
      paths: k.paths === undefined ? botPaths : paths,
      line: doc.locate(at()).line,
      keyLine: doc.locate(at(k.publicKeyFile !== undefined ? 'publicKeyFile' : 'publicKey')).line,
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
}
