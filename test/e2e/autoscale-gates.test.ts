import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/http/metrics.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import {
  autoscaler,
  autoscalerOp,
  fillPast,
  redisClient,
  remoteLog,
  startPushers,
} from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git, pushFiles } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

const Mi = 1024 * 1024;
const bot = 'dbops-autoscaler <dbops-autoscaler@localhost>';
const on = (extra = '') => `trigger: "On"\nusageThreshold: 50\nscalingThreshold: 50\n${extra}`;
const redis = (name: string) =>
  redisStandalone(name, { storage: '16Mi', config: 'auto-aof-rewrite-percentage 0' });

describe('storage autoscaler: contention, upper bound, trigger off, halted (directory volumes)', () => {
  let env: TestEnv;
  let work: string;

  beforeAll(async () => {
    env = await startEnv(
      {
        'databases/burst.yaml': redis('burst'),
        'databases/capped.yaml': redis('capped'),
        'databases/idle.yaml': redis('idle'),
        'databases/sleepy.yaml': redis('sleepy'),
        'autoscalers/burst.yaml': autoscaler('Redis', 'burst', on('upperBound: 1Gi\n')),
        'autoscalers/capped.yaml': autoscaler('Redis', 'capped', on('upperBound: 16Mi\n')),
        'autoscalers/idle.yaml': autoscaler('Redis', 'idle', on().replace('"On"', '"Off"')),
        'autoscalers/sleepy.yaml': autoscaler('Redis', 'sleepy', on()),
      },
      { serverProcess: true, denyNonFastForwards: true },
    );
    work = await mkdtemp(join(tmpdir(), 'dbops-autoscale-gates-'));
    const names = ['burst', 'capped', 'idle', 'sleepy'];
    await env.until('ready', (s) => names.every((n) => db(s, n).phase === 'Ready'));
    const chunk = 'x'.repeat(Mi);
    for (const name of names) {
      const c = await redisClient(env.app.runtime, name);
      await fillPast(env.app.runtime, name, 50, (i) => c.set(`fill:${i}`, chunk));
      c.disconnect();
    }
    // Halted after it was filled: its volume is full, but a halted database gets no decision.
    await pushFiles(
      env.url,
      {
        'databases/sleepy.yaml': redis('sleepy').replace(
          '  deletionPolicy',
          '  halted: true\n  deletionPolicy',
        ),
      },
      'halt sleepy',
    );
    await env.until('sleepy halted', (s) => db(s, 'sleepy').phase === 'Halted');
  });
  afterAll(async () => {
    await env?.close();
    await rm(work, { recursive: true, force: true });
  });

  it("ten clients push in a loop while the bot commits: every commit of theirs and the bot's lands", async () => {
    const before = await remoteLog(env.url, work);
    // Ten clients, each pushing a commit every 2-4 s: about three pushes a second at the remote.
    const pushers = startPushers(env.url, work, { thinkMs: [2000, 4000] });
    await waitFor(
      systemClock,
      'the pushers to get going',
      () => (pushers.pushed.length >= 10 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    const s = await waitFor(
      systemClock,
      'the burst expansion to succeed',
      async () => {
        await env.app.autoscaler.tick();
        const st = await env.converge();
        return autoscalerOp(st, 'burst')?.phase === 'Successful' ? st : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    await pushers.stop();
    const log = await remoteLog(env.url, work);
    const mine = log.filter((c) => c.author === bot);
    expect(mine.map((c) => c.subject)).toEqual([
      expect.stringMatching(
        /^autoscale\(burst\): expand storage 16Mi -> 24Mi \(usage \d+% > 50%\)$/,
      ),
    ]);
    const tree = await git(work, '--git-dir', env.bareDir, 'ls-tree', '-r', '--name-only', 'main');
    for (const f of pushers.pushed) expect(tree).toContain(f);
    expect(tree).toContain(mine[0]!.files[0]);
    expect(log.length).toBe(before.length + pushers.pushed.length + 1);
    const a = s.autoscalers.find((x) => x.database === 'burst')!;
    expect(a.lastDecision).toMatchObject({ result: 'Committed', toBytes: 24 * Mi });
    expect(a.commitAttempts).toBeGreaterThanOrEqual(1);
    for (const m of db(s, 'burst').members) expect(m.volume.capacityBytes).toBe(24 * Mi);
  });

  it('at the upper bound: no commit, a warning condition and a metric', async () => {
    const s = await env.converge();
    const a = s.autoscalers.find((x) => x.database === 'capped')!;
    expect(a.lastDecision).toBeNull();
    expect(a.decisions['AtUpperBound']).toBeGreaterThan(0);
    expect(a.conditions.find((c) => c.type === 'AutoscalerAtUpperBound')).toMatchObject({
      status: 'True',
      reason: 'UpperBoundReached',
      message: expect.stringMatching(
        /at the upper bound 16Mi: not expanding \(usage \d+% > 50%\)/,
      ) as unknown,
    });
    expect(await renderMetrics(s)).toContain(
      'dbops_autoscaler_at_upper_bound{database="capped",autoscaler="capped-storage"} 1',
    );
  });

  it('trigger Off and a halted database: no decision, no commit', async () => {
    const s = await env.converge();
    const idle = s.autoscalers.find((x) => x.database === 'idle')!;
    const sleepy = s.autoscalers.find((x) => x.database === 'sleepy')!;
    expect(idle).toMatchObject({ enabled: false, lastDecision: null });
    expect(idle.decisions['TriggerOff']).toBeGreaterThan(0);
    expect(sleepy.lastDecision).toBeNull();
    expect(sleepy.decisions['Halted']).toBeGreaterThan(0);
    const files = (await remoteLog(env.url, work)).flatMap((c) => c.files);
    for (const name of ['capped', 'idle', 'sleepy'])
      expect(files.filter((f) => f.includes(`-${name}-volumeexpansion`))).toEqual([]);
  });
});
