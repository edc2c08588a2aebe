/**
 * Configuration text (`redis.conf`, `user.conf`) parsed into ordered key/value pairs, and
 * checked against injection: control characters, and directives that dbops manages itself or
 * that would let a manifest read or write files, load code or run commands on the host.
 */
import { settingRefusal, type ConfigFile } from '../api/config-rules.js';
import { codes } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { error, type PathSegment, type Problem } from './problem.js';

/** A problem at a 1-based line of the config text. */
export interface ConfigIssue {
  line: number;
  code: ErrorCode;
  message: string;
}

// Redis directives that may repeat; CONFIG SET takes their values joined by spaces.
const redisRepeatable = new Set(['save', 'client-output-buffer-limit']);
// Tab is fine; every other control character could smuggle a new line into a generated file.
function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}
// Escapes that the servers' own config parsers turn into control characters.
const controlEscape = /\\(?:[nrbf0-7]|x[0-9a-fA-F]{2})/;

/** Parses config text into ordered pairs (keys in lower case); issues name the line. Pure. */
export function parseConfigText(
  file: ConfigFile,
  text: string,
): { values: Record<string, string>; issues: ConfigIssue[] } {
  const values: Record<string, string> = {};
  const seenAt = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const where = `line ${line} of ${file}`;
    const bad = (code: ErrorCode, message: string) =>
      issues.push({ line, code, message: `${where}: ${message}` });
    if (hasControlChar(raw))
      return bad(
        codes.forbiddenConfig,
        'contains a control character (carriage return, NUL...): write one setting per line with printable characters only',
      );
    const parsed = file === 'redis.conf' ? splitRedis(raw) : splitPostgres(raw);
    if (parsed === null) return;
    if ('error' in parsed) return bad(codes.invalidField, parsed.error);
    const key = parsed.key.toLowerCase();
    const refusal = settingRefusal(file, key);
    if (refusal === 'invalid-name')
      return bad(codes.invalidField, `"${parsed.key}" is not a valid setting name`);
    if (refusal === 'forbidden')
      return bad(
        codes.forbiddenConfig,
        `"${key}" is managed by dbops or unsafe and cannot be set in ${file}: remove this line`,
      );
    if (controlEscape.test(parsed.value))
      return bad(
        codes.forbiddenConfig,
        `the value of "${key}" contains an escape sequence (such as \\n) that would produce a control character: remove it`,
      );
    const first = seenAt.get(key);
    if (first !== undefined) {
      if (file === 'redis.conf' && redisRepeatable.has(key))
        values[key] = `${values[key] ?? ''} ${parsed.value}`.trim();
      else
        bad(
          codes.invalidField,
          `"${key}" is already set on line ${first}: keep one of the two lines`,
        );
      return;
    }
    seenAt.set(key, line);
    values[key] = parsed.value;
  });
  return { values, issues };
}

type Split = { key: string; value: string } | { error: string } | null;

function splitRedis(raw: string): Split {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return null;
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  const key = m?.[1] ?? line;
  const value = (m?.[2] ?? '').trim();
  if (value === '')
    return { error: `"${key}" has no value: write "${key} <value>" (use "" for an empty value)` };
  return { key, value: unquote(value) };
}

function unquote(value: string): string {
  const m = /^"([^"\\]*)"$/.exec(value) ?? /^'([^'\\]*)'$/.exec(value);
  return m ? (m[1] ?? '') : value;
}

function splitPostgres(raw: string): Split {
  const line = stripComment(raw).trim();
  if (line === '') return null;
  const m = /^([^\s=]+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
  if (!m) return { error: `"${line}" has no value: write "name = value"` };
  const key = m[1] ?? '';
  const rest = (m[2] ?? '').trim();
  if (rest === '')
    return { error: `"${key}" has no value: write "${key} = value" (use '' for an empty value)` };
  if (!rest.startsWith("'")) return { key, value: rest };
  const q = /^'((?:[^']|'')*)'$/.exec(rest);
  if (!q)
    return {
      error: `the quoted value of "${key}" is not closed, or has text after the closing quote`,
    };
  return { key, value: (q[1] ?? '').replace(/''/g, "'") };
}

// A '#' starts a comment unless it is inside a single-quoted value.
function stripComment(raw: string): string {
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === "'") quoted = !quoted;
    else if (raw[i] === '#' && !quoted) return raw.slice(0, i);
  }
  return raw;
}

/** Parses config text found at `path`, appends its problems, and returns the pairs. */
export function configProblems(
  file: ConfigFile,
  text: string,
  path: PathSegment[],
  problems: Problem[],
): Record<string, string> {
  const { values, issues } = parseConfigText(file, text);
  for (const i of issues)
    problems.push({ severity: 'error', code: i.code, path, message: i.message, textLine: i.line });
  return values;
}

/**
 * The settings of a configuration section (`inline` or `applyConfig`) at `path`: its
 * `redis.conf` or `user.conf`, or `valkey.conf` (KubeDB's name of the Redis file for Valkey).
 * Both Redis names at once is a problem: which would win? Empty when there is none.
 */
export function sectionConfig(
  file: ConfigFile,
  section: Partial<Record<string, string>> | undefined,
  path: PathSegment[],
  problems: Problem[],
): Record<string, string> {
  const keys = (file === 'redis.conf' ? ['redis.conf', 'valkey.conf'] : [file]).filter(
    (k) => section?.[k] !== undefined,
  );
  if (keys.length > 1) {
    problems.push(
      error(
        codes.invalidField,
        [...path, 'valkey.conf'],
        'and redis.conf are the same file: put the settings in one of them',
      ),
    );
    return {};
  }
  const key = keys[0];
  return key === undefined ? {} : configProblems(file, section![key]!, [...path, key], problems);
}
