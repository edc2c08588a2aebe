/**
 * Live Redis settings (DESIGN §5 "Reconfigure", seed 003): read the running values with
 * `CONFIG GET` and apply the ones that differ with one `CONFIG SET`, which Redis 7 applies
 * atomically (all keys or none), so a refused value leaves the previous configuration running.
 *
 * No `CONFIG REWRITE` here: the runtime owns each member's config file and writes it itself
 * (`Runtime.writeConfig`). A rewrite would race with that write, reorder the file, and persist
 * values the runtime did not render; the file the runtime writes is the one a restart reads.
 */
import type { Redis } from 'ioredis';
import { codes, stalled, transient, type DbopsError } from '../../errors.js';
import { withRedis, type RedisTarget } from './connection.js';

/** Why Redis refused a `CONFIG SET`: a key that needs a restart, or a bad key or value. */
export interface ConfigSetRefusal {
  kind: 'restart' | 'invalid';
  /** The key Redis names in its message, lower case; undefined when it names none. */
  key: string | undefined;
  /** Redis' own explanation, without the `ERR` prefix. */
  reason: string;
}

// Redis 7.0 config.c: "CONFIG SET failed (possibly related to argument '%s') - %s" and
// "Unknown option or number of arguments for CONFIG SET - '%s'".
const failedRe = /CONFIG SET failed \(possibly related to argument '([^']*)'\) - (.*)$/s;
const unknownRe = /Unknown option or number of arguments for CONFIG SET - '([^']*)'/;
const restartRe = /can't set (immutable|protected) config/;
const sensitiveRe = /pass|secret|auth|user/;

/** Sorts a `CONFIG SET` error into needs-a-restart or invalid, with the key it names. Pure. */
export function classifyConfigSetError(message: string): ConfigSetRefusal {
  const text = message.replace(/^ERR\s+/, '').trim();
  const failed = failedRe.exec(text);
  if (failed) {
    const reason = (failed[2] ?? '').trim();
    const kind = restartRe.test(reason) ? 'restart' : 'invalid';
    return { kind, key: failed[1]?.toLowerCase(), reason };
  }
  const unknown = unknownRe.exec(text);
  if (unknown)
    return { kind: 'invalid', key: unknown[1]?.toLowerCase(), reason: 'unknown setting' };
  return { kind: 'invalid', key: undefined, reason: text };
}

/** A value as Redis prints it, for comparison: trimmed, inner whitespace collapsed. Pure. */
export function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** Keys of `target` (lower case) whose value differs from `current` or is missing there. Pure. */
export function differingKeys(
  current: Readonly<Record<string, string>>,
  target: Readonly<Record<string, string>>,
): string[] {
  return Object.entries(target)
    .filter(([k, v]) => {
      const now = current[k.toLowerCase()];
      return now === undefined || canonicalValue(now) !== canonicalValue(v);
    })
    .map(([k]) => k.toLowerCase());
}

/**
 * Reads each key with `CONFIG GET`, keyed by its lower-case name, values as Redis prints
 * them. Keys Redis does not know are left out. Throws DbopsError `invalidField` for a key that
 * is not a plain setting name, `dbUnreachable`/`dbAuth` when the server cannot be used.
 */
export async function readRedisSettings(input: {
  host: string;
  port: number;
  password: string;
  keys: string[];
  timeoutMs?: number;
}): Promise<Record<string, string>> {
  const keys = input.keys.map(checkedKey);
  return withRedis(target(input), (r) => configGet(r, keys, where(input)));
}

/**
 * Reads every setting with `CONFIG GET *`, keyed by lower-case name, values as Redis prints
 * them. Throws DbopsError `dbUnreachable`/`dbAuth` when the server cannot be used.
 */
export function readAllRedisSettings(input: RedisTarget): Promise<Record<string, string>> {
  return withRedis(target(input), (r) => configGet(r, ['*'], where(input)));
}

/**
 * Applies the keys of `target` (canonical values) whose running value differs, in one atomic
 * `CONFIG SET`. Keys Redis only takes at startup (immutable or protected) are returned in
 * `needRestart` and not applied. Returns early with nothing changed when all values match.
 * Any other refusal throws DbopsError `invalidField` naming the key and Redis' reason, and
 * nothing at all was applied.
 */
export async function applyRedisSettings(input: {
  host: string;
  port: number;
  password: string;
  target: Record<string, string>;
  timeoutMs?: number;
}): Promise<{ changed: string[]; needRestart: string[] }> {
  const wanted = new Map(Object.entries(input.target).map(([k, v]) => [checkedKey(k), v]));
  const at = where(input);
  return withRedis(target(input), async (r) => {
    const current = await configGet(r, [...wanted.keys()], at);
    let pending = differingKeys(current, Object.fromEntries(wanted));
    const needRestart: string[] = [];
    // Each refused attempt changes nothing, so sorting out one restart-only key per round
    // is safe; the loop ends after at most one round per key.
    while (pending.length > 0) {
      const args = pending.flatMap((k) => [k, wanted.get(k) ?? '']);
      const refusal = await configSet(r, args, at);
      if (!refusal) break;
      const key = refusal.key;
      if (refusal.kind === 'restart' && key !== undefined && pending.includes(key)) {
        needRestart.push(key);
        pending = pending.filter((k) => k !== key);
        continue;
      }
      throw refused(refusal, key === undefined ? undefined : wanted.get(key), at);
    }
    return { changed: pending, needRestart };
  });
}

function target(input: RedisTarget): RedisTarget {
  const { host, port, password, timeoutMs } = input;
  return { host, port, password, timeoutMs };
}

function where(input: { host: string; port: number }): string {
  return `${input.host}:${input.port}`;
}

// CONFIG GET takes glob patterns: a key with pattern characters could read (and compare)
// other settings than the one named.
function checkedKey(key: string): string {
  const k = key.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9-]*$/.test(k)) {
    throw stalled(codes.invalidField, `"${key}" is not a Redis setting name`, {
      hint: 'use the setting names of redis.conf (letters, digits and dashes)',
    });
  }
  return k;
}

async function configGet(r: Redis, keys: string[], at: string): Promise<Record<string, string>> {
  if (keys.length === 0) return {};
  const reply = await call(r, ['GET', ...keys], at);
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2)
    out[String(flat[i]).toLowerCase()] = flat[i + 1] ?? '';
  return out;
}

/** Runs `CONFIG SET`; returns Redis' refusal, or undefined when it took every key. */
async function configSet(
  r: Redis,
  args: string[],
  at: string,
): Promise<ConfigSetRefusal | undefined> {
  try {
    await call(r, ['SET', ...args], at, true);
    return undefined;
  } catch (err) {
    if (err instanceof ReplyRefusal) return classifyConfigSetError(err.message);
    throw err;
  }
}

class ReplyRefusal extends Error {}

async function call(r: Redis, args: string[], at: string, refusals = false): Promise<unknown> {
  try {
    return await r.call('CONFIG', ...args);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (refusals && err instanceof Error && err.name === 'ReplyError') throw new ReplyRefusal(text);
    throw transient(codes.dbUnreachable, `CONFIG ${args[0]} on Redis at ${at} failed: ${text}`, {
      hint: 'check that the member runs and answers; dbops retries on the next reconcile',
      cause: err,
    });
  }
}

function refused(refusal: ConfigSetRefusal, value: string | undefined, at: string): DbopsError {
  const key = refusal.key ?? 'a setting';
  const shown = value === undefined || sensitiveRe.test(key) ? '' : ` "${value}"`;
  return stalled(
    codes.invalidField,
    `Redis at ${at} refused ${key}${shown}: ${refusal.reason}; no setting was changed`,
    { hint: `fix ${key} in the database's configuration (a new Reconfigure or a spec change)` },
  );
}
