import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readJson } from '../../src/platform/files.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import type { ControllerState } from '../../src/reconcile/store.js';
import { loopDevicesUnder, mountsUnder } from '../runtime/helpers.js';
import { pidsMatching } from './processes.js';

/**
 * Waits until the controller's status.json shows every named database Ready; with `since`
 * (ms), only a status written after it counts (a new controller, not the last one's file).
 */
export function waitReady(
  stateDir: string,
  names: string[],
  opts: { since?: number; timeoutMs?: number } = {},
): Promise<ControllerState> {
  const { since = 0, timeoutMs = 100_000 } = opts;
  return waitFor(
    systemClock,
    `${names.join(', ')} Ready in ${stateDir}`,
    async () => {
      const s = await readJson<ControllerState>(join(stateDir, 'status.json')).catch(
        () => undefined,
      );
      if (!s || Date.parse(s.updatedAt) <= since) return undefined;
      return names.every((n) => s.databases[n]?.phase === 'Ready') ? s : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Resolves once the child has exited and was reaped, with how it ended. */
export function exited(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resolve({ code: child.exitCode, signal: child.signalCode });
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Waits for the child to exit within `timeoutMs`; fails naming `what` otherwise. */
export async function exitedWithin(child: ChildProcess, what: string, timeoutMs = 60_000) {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no exit in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([exited(child), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** kill -9 of the child, resolved once it was reaped. */
export async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited(child);
}

/** What the state dir still holds in the system: processes, mounts and loop devices. */
export async function systemLeftovers(stateDir: string) {
  return {
    processes: await pidsMatching(stateDir),
    mounts: await mountsUnder(stateDir),
    loops: await loopDevicesUnder(stateDir),
  };
}
