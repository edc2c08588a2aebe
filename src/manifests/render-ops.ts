/**
 * An operation intent -> the YAML text of a KubeDB-shaped OpsRequest and the path it goes to
 * (DESIGN §2: the path orders the ledger and is the idempotency key). Used by the storage
 * autoscaler and by `dbops ops new`. Pure: no I/O, and the time is part of the intent.
 */
import { createHash } from 'node:crypto';
import { Document, stringify, visit } from 'yaml';
import type { ConfigFile } from '../api/config-rules.js';
import type { DatabaseKind } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';
import { dnsLabel } from '../api/schemas/common.js';
import { codes, stalled } from '../errors.js';
import { parseConfigText } from './config-text.js';

/** What to write. Sizes in bytes; `at` is clock milliseconds (UTC). */
export interface OpsIntent {
  databaseKind: DatabaseKind;
  database: string;
  type: 'VolumeExpansion' | 'Reconfigure' | 'Restart';
  at: number;
  volumeExpansion?: { mode: 'Online' | 'Offline'; bytes: number };
  /** Reconfigure: ordered key/values. */
  configuration?: { applyConfig: Record<string, string> };
  timeoutMs?: number;
  apply?: 'IfReady' | 'Always';
  /** metadata.annotations, e.g. {'dbops.dev/autoscaler': 'cache-storage'}. */
  annotations?: Record<string, string>;
  /** Optional leading '# ...' comment lines. */
  comment?: string;
}

/** The file to write: its path under the manifests root, metadata.name, and its text. */
export interface RenderedOps {
  path: string;
  name: string;
  text: string;
}

const engineOf = { Redis: 'redis', Postgres: 'postgres' } as const;
const configFileOf: Record<DatabaseKind, ConfigFile> = {
  Redis: 'redis.conf',
  Postgres: 'user.conf',
};
const sectionOf = {
  VolumeExpansion: 'volumeExpansion',
  Reconfigure: 'configuration',
  Restart: undefined,
} as const;
// Years past 9999 would make the stamp longer and break the order of file names.
const maxAt = Date.UTC(10000, 0, 1);

function refuse(message: string, hint?: string): never {
  throw stalled(codes.usage, `cannot write the OpsRequest: ${message}`, {
    ...(hint === undefined ? {} : { hint }),
  });
}

/** The UTC time `at` as `yyyymmdd-hhmmss`; throws a usage error for a time it cannot stamp. */
export function opsFileStamp(at: number): string {
  if (!Number.isSafeInteger(at) || at < 0 || at >= maxAt)
    refuse(`the time ${at} is not a clock time in milliseconds between 1970 and 9999`);
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * Renders an OpsRequest: same intent, byte-identical text. Throws a usage error for an intent
 * it cannot render faithfully (a missing or misplaced section, a size or timeout that is not
 * a positive whole number, an empty applyConfig, a setting that would not read back the
 * same). Settings the loader forbids (such as `include`) are rendered as given, so that
 * loading the result names them with file, line and field.
 */
export function renderOpsRequest(intent: OpsIntent): RenderedOps {
  const { database, type } = intent;
  if (!dnsLabel.safeParse(database).success)
    refuse(`"${database}" is not a valid database name (a DNS-1123 label)`);
  if (!Object.hasOwn(sectionOf, type))
    refuse(`type ${String(type)} cannot be written: use VolumeExpansion, Reconfigure or Restart`);
  checkIntent(intent);
  const stamp = opsFileStamp(intent.at);
  const typeLower = type.toLowerCase();
  const name = opsName(database, typeLower, stamp);
  const spec: Record<string, unknown> = { type, databaseRef: { name: database } };
  if (intent.volumeExpansion) spec.volumeExpansion = expansion(intent);
  if (intent.configuration) {
    const file = configFileOf[intent.databaseKind];
    spec.configuration = { applyConfig: { [file]: configText(file, intent.configuration) } };
  }
  if (intent.timeoutMs !== undefined) spec.timeout = goDuration(intent.timeoutMs);
  if (intent.apply !== undefined) spec.apply = intent.apply;
  const annotations = sortedAnnotations(intent.annotations);
  const manifest = {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: `${intent.databaseKind}OpsRequest`,
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  };
  return {
    path: `ops/${stamp}-${database}-${typeLower}.yaml`,
    name,
    text: commentLines(intent.comment) + toYaml(manifest),
  };
}

function checkIntent(intent: OpsIntent): void {
  const own = sectionOf[intent.type];
  for (const section of ['volumeExpansion', 'configuration'] as const) {
    if (section === own && intent[section] === undefined)
      refuse(`a ${intent.type} needs ${section}`);
    if (section !== own && intent[section] !== undefined)
      refuse(
        `${section} is only valid with type ${section === 'configuration' ? 'Reconfigure' : 'VolumeExpansion'}, not ${intent.type}`,
      );
  }
  const t = intent.timeoutMs;
  if (t !== undefined && (!Number.isSafeInteger(t) || t <= 0))
    refuse(`the timeout ${t} ms is not a positive whole number of milliseconds`);
}

// A DNS-1123 label: a long database name is cut and keeps a short hash of the whole name.
function opsName(database: string, typeLower: string, stamp: string): string {
  const suffix = `-${typeLower}-${stamp}`;
  if (database.length + suffix.length <= 63) return database + suffix;
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 6);
  const head = database.slice(0, 63 - suffix.length - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}${suffix}`;
}

function expansion(intent: OpsIntent): Record<string, string> {
  const v = intent.volumeExpansion;
  if (!v || !Number.isSafeInteger(v.bytes) || v.bytes <= 0)
    refuse(`the size ${v?.bytes} is not a positive whole number of bytes`, 'for example 2Gi');
  if (v.mode !== 'Online' && v.mode !== 'Offline')
    refuse(`the expansion mode ${String(v.mode)} is not Online or Offline`);
  return { mode: v.mode, [engineOf[intent.databaseKind]]: formatBytes(v.bytes) };
}

function configText(file: ConfigFile, c: { applyConfig: Record<string, string> }): string {
  const entries = Object.entries(c.applyConfig);
  if (entries.length === 0)
    refuse('applyConfig is empty: a Reconfigure needs at least one setting');
  return entries.map(([key, value]) => configLine(file, key, value)).join('\n');
}

// What postgresql.conf itself reads unquoted: a name, a path-like word, or a number with a unit.
const postgresPlain = /^(?:[A-Za-z_][\w.:/-]*|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z]*)$/;

/**
 * One setting as a line that the loader's own parser reads back as exactly this key and
 * value: plain when it can (for Postgres, only what postgresql.conf reads unquoted), quoted
 * when it must. A line the parser flags (a forbidden
 * directive, an escape) is kept so the loader reports it; one that would silently read back
 * as something else is refused.
 */
function configLine(file: ConfigFile, key: string, value: string): string {
  if (/[\r\n]/.test(key) || /[\r\n]/.test(value))
    refuse(`the setting "${key}" spans several lines: give each setting on one line`);
  const quoted = `${key} = '${value.replace(/'/g, "''")}'`;
  const candidates =
    file === 'redis.conf'
      ? [`${key} ${value}`, `${key} "${value}"`, `${key} '${value}'`]
      : postgresPlain.test(value)
        ? [`${key} = ${value}`, quoted]
        : [quoted];
  let flagged: string | undefined;
  for (const line of candidates) {
    const { values, issues } = parseConfigText(file, line);
    if (issues.length > 0) {
      flagged ??= line;
      continue;
    }
    const read = Object.entries(values);
    if (read.length === 1 && read[0]?.[0] === key && read[0][1] === value) return line;
  }
  if (flagged !== undefined) return flagged;
  return refuse(
    `the setting "${key}" = ${JSON.stringify(value)} cannot be written in ${file} so that it reads back the same`,
    'setting names are lower case; a value cannot start or end with blanks and also contain quotes',
  );
}

/** Milliseconds as a Go duration that parseDuration reads back exactly: 90000 -> "1m30s". */
function goDuration(ms: number): string {
  let rest = ms;
  let text = '';
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}

function sortedAnnotations(a: Record<string, string> | undefined) {
  if (a === undefined || Object.keys(a).length === 0) return undefined;
  return Object.fromEntries(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function commentLines(comment: string | undefined): string {
  if (comment === undefined) return '';
  // YAML 1.1 readers also break lines at NEL, LS and PS; any of them could end the comment.
  if (/[\p{Cc}\u2028\u2029]/u.test(comment.replace(/[\n\t]/g, '')))
    refuse('the comment contains a control character: use printable text and new lines');
  return comment
    .split('\n')
    .map((line) => (line.trim() === '' ? '#' : `# ${line}`.trimEnd()))
    .join('\n')
    .concat('\n');
}

/**
 * YAML text the loader (YAML 1.2) reads back exactly, and that YAML 1.1 readers such as
 * kubectl read as the same strings: a scalar that 1.1 would take for a boolean or a number
 * (`on`, `no`, `0o17`) is double-quoted even where 1.2 would leave it plain.
 */
function toYaml(value: unknown): string {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && /^["']/.test(stringify(node.value, { version: '1.1' })))
        node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ lineWidth: 0 });
}
