import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  interruptedMessage,
  resumedMessage,
  type OperationRecord,
} from '../../src/execute/engine.js';
import { readJson } from '../../src/platform/files.js';

// Kills a real process with SIGKILL at every crash point of a 4-step operation (and inside
// every step, after its side effect), then reruns it: the operation must complete with each
// step Succeeded once and each side effect done once.

const script = fileURLToPath(new URL('./fixtures/crash-op.ts', import.meta.url));
const steps = ['s1', 's2', 's3', 's4'];
const dirs: string[] = [];
const children = new Set<ChildProcess>();

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function runScript(
  dir: string,
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const base = { ...process.env };
  delete base.DBOPS_CRASH_AT;
  delete base.CRASH_TEST_KILL_MID;
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    env: { ...base, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
}

async function record(dir: string): Promise<OperationRecord> {
  const op = await readJson<OperationRecord>(join(dir, 'op.json'));
  if (!op) throw new Error(`no record in ${dir}`);
  return op;
}

type Case = { title: string; env: Record<string, string>; step: string; last: string };
const cases = steps.flatMap((step): Case[] => [
  {
    title: `${step}:before`,
    env: { DBOPS_CRASH_AT: `CrashTest:${step}:before` },
    step,
    last: `${step}:Running`,
  },
  {
    title: `${step}:after`,
    env: { DBOPS_CRASH_AT: `CrashTest:${step}:after` },
    step,
    last: `${step}:Succeeded`,
  },
  { title: `inside ${step}`, env: { CRASH_TEST_KILL_MID: step }, step, last: `${step}:Running` },
]);

describe('operation engine under kill -9', () => {
  it.each(cases)(
    'killed at $title, then rerun: completes once',
    async ({ title, env, step, last }) => {
      const dir = await mkdtemp(join(tmpdir(), 'dbops-exec-crash-'));
      dirs.push(dir);

      const crashed = await runScript(dir, env);
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      // The crash point comes after the persist: the record on disk already shows it.
      const atCrash = await record(dir);
      expect(atCrash.phase).toBe('Progressing');
      const tail = atCrash.steps.at(-1);
      expect(`${tail?.name}:${tail?.phase}`).toBe(last);

      const rerun = await runScript(dir, {});
      expect([rerun.code, rerun.signal, rerun.stderr]).toEqual([0, null, '']);
      const op = await record(dir);
      expect(op.phase).toBe('Successful');
      expect(op.finishedAt).not.toBeNull();
      for (const s of steps) {
        expect(op.steps.filter((e) => e.name === s && e.phase === 'Succeeded')).toHaveLength(1);
      }
      expect(op.steps.filter((e) => e.phase === 'Succeeded').map((e) => e.name)).toEqual(steps);
      const resumed = last.endsWith(':Running');
      const entries = op.steps.filter((e) => e.name === step);
      expect(entries.map((e) => [e.phase, e.message?.split(':')[0] ?? null])).toEqual(
        resumed
          ? [
              ['Failed', interruptedMessage.split(':')[0]],
              ['Succeeded', resumedMessage],
            ]
          : [['Succeeded', null]],
      );

      // Every side effect happened exactly once, and data written by s1 reached s4.
      const token = String(op.data.token);
      expect(token).toMatch(/^[0-9a-f]{8}$/);
      expect(await lines(join(dir, 'effects.log'))).toEqual([
        `s1 token=${token}`,
        's2',
        's3',
        `s4 token=${token}`,
      ]);
      // Steps run again only when the controller died inside them after acting.
      const runs = await lines(join(dir, 'runs.log'));
      const expected = steps.flatMap((s) =>
        s === step && title.startsWith('inside') ? [s, s] : [s],
      );
      expect(runs).toEqual(expected);

      // A finished operation is left alone by a later controller.
      const again = await runScript(dir, { DBOPS_CRASH_AT: `CrashTest:${step}:before` });
      expect([again.code, again.signal]).toEqual([0, null]);
      expect(await lines(join(dir, 'runs.log'))).toEqual(expected);
      expect(await record(dir)).toEqual(op);
    },
  );

  it('runs to completion without a crash point', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbops-exec-crash-'));
    dirs.push(dir);
    const run = await runScript(dir, {});
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, '']);
    const op = await record(dir);
    expect(op.steps.map((e) => `${e.name}:${e.phase}`)).toEqual(steps.map((s) => `${s}:Succeeded`));
    expect(await lines(join(dir, 'runs.log'))).toEqual(steps);
  });

  it('refuses a malformed DBOPS_CRASH_AT instead of running without crashing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbops-exec-crash-'));
    dirs.push(dir);
    const run = await runScript(dir, { DBOPS_CRASH_AT: 'CrashTest:s2' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('DBOPS_CRASH_AT');
    expect(await lines(join(dir, 'runs.log'))).toEqual([]);
  });
});
