import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { readJson } from '../../src/platform/files.js';
import type { ControllerState } from '../../src/reconcile/store.js';
import { spawnDbops } from './cli-process.js';

/** Resolves with the signal that ended the process (null for a normal exit). */
export function exited(c: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) resolve(c.signalCode);
    else c.once('exit', (_code, signal) => resolve(signal));
  });
}

/**
 * Runs `dbops run` as a child process on a state dir, and drives an operation through kill -9
 * of the controller at named steps: the controller is started with DBOPS_CRASH_AT naming one
 * point after the other, each run resumes the operation and dies at the next point, and a
 * last run finishes it.
 */
export function crashRunner(opts: { url: string; stateDir: string; args?: string[] }) {
  let child: ChildProcess | undefined;
  const state = () => readJson<ControllerState>(join(opts.stateDir, 'status.json'));
  const start = (crashAt?: string) => {
    child = spawnDbops(
      [
        'run',
        '--repo',
        opts.url,
        '--state-dir',
        opts.stateDir,
        '--interval',
        '1s',
        ...(opts.args ?? []),
      ],
      crashAt ? { DBOPS_CRASH_AT: crashAt } : {},
    );
    return child;
  };
  const stop = async () => {
    if (!child) return;
    child.kill('SIGTERM');
    await exited(child);
    child = undefined;
  };
  const kill = () => child?.kill('SIGKILL');

  async function crashThrough(
    type: string,
    name: string,
    steps: string[],
    whens: readonly ('before' | 'after')[] = ['before', 'after'],
  ): Promise<void> {
    for (const step of steps) {
      for (const when of whens) {
        const point = `${type}:${step}:${when}`;
        const c = start(point);
        const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000));
        const how = await Promise.race([exited(c), deadline]);
        if (how !== 'SIGKILL') {
          c.kill('SIGKILL');
          throw new Error(`the controller did not die at ${point} (${String(how)})`);
        }
        const op = (await state())?.operations[name];
        const last = op?.steps.filter((s) => s.name === step).at(-1);
        expect(last?.phase, point).toBe(when === 'before' ? 'Running' : 'Succeeded');
      }
    }
    start();
    const done = await waitFor(
      systemClock,
      `${name} to finish after the crashes`,
      async () => {
        const o = (await state())?.operations[name];
        return o && ['Successful', 'Failed'].includes(o.phase) ? o : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(done.phase, done.message ?? '').toBe('Successful');
    // Every step succeeded exactly once; interrupted attempts are marked as such.
    for (const step of steps) {
      expect(
        done.steps.filter((s) => s.name === step && s.phase === 'Succeeded'),
        step,
      ).toHaveLength(1);
    }
    await stop();
  }

  return { state, start, stop, kill, crashThrough };
}
