/**
 * Crash injection for integration tests: with `DBOPS_CRASH_AT=<opType>:<step>:<before|after>`
 * (the step may itself contain colons, e.g. `Restart:cycle:cache-shard0-1:before`)
 * the process kills itself with SIGKILL at that point of an operation, right after the
 * engine persisted the record, so tests can prove every step resumes after kill -9.
 */
import { codes, stalled } from '../errors.js';

/** Called by the engine at every crash point; a hook that returns lets the operation go on. */
export type CrashHook = (point: string) => void;

/** Where a crash point sits relative to its step: after the Running entry or after Succeeded. */
export type CrashWhen = 'before' | 'after';

/** A parsed crash point. */
export interface CrashPoint {
  opType: string;
  step: string;
  when: CrashWhen;
}

/** The name of a crash point as the engine reports it: `<opType>:<step>:<before|after>`. */
export function crashPoint(opType: string, step: string, when: CrashWhen): string {
  return `${opType}:${step}:${when}`;
}

const pattern = /^([^:\s]+):(\S+):(before|after)$/;

/** Parses `<opType>:<step>:<before|after>`; throws a usage error on anything else. */
export function parseCrashPoint(text: string): CrashPoint {
  const m = pattern.exec(text.trim());
  if (!m) {
    throw stalled(codes.config, `DBOPS_CRASH_AT="${text}" is not a crash point`, {
      hint: 'write it as <opType>:<step>:<before|after>, e.g. VolumeExpansion:expand-volumes:after, or unset it',
    });
  }
  return { opType: m[1] ?? '', step: m[2] ?? '', when: m[3] === 'before' ? 'before' : 'after' };
}

/** Kills the current process the way `kill -9` does: no cleanup, no flush. */
export function killSelf(): void {
  process.kill(process.pid, 'SIGKILL');
}

/**
 * A hook that calls `kill` when the engine reaches the point named by `DBOPS_CRASH_AT`;
 * undefined when the variable is unset or empty. Throws on a malformed value, so a typo
 * cannot make a crash test pass without crashing.
 */
export function crashHookFromEnv(
  env: Record<string, string | undefined>,
  kill: () => void = killSelf,
): CrashHook | undefined {
  const raw = env.DBOPS_CRASH_AT;
  if (raw === undefined || raw.trim() === '') return undefined;
  const at = parseCrashPoint(raw);
  const target = crashPoint(at.opType, at.step, at.when);
  return (point) => {
    if (point === target) kill();
  };
}
