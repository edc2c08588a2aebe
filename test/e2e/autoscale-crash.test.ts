import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { readJson } from '../../src/platform/files.js';
import type { ControllerState } from '../../src/reconcile/store.js';
import { autoscaler, remoteLog } from '../helpers/autoscale.js';
import { crashRunner, exited } from '../helpers/crash-runner.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { redisStandalone } from '../helpers/manifests.js';

const Mi = 1024 * 1024;

/**
 * kill -9 of `dbops run` around the autoscaler's commit: after the decision is persisted and
 * before its push, right after the push before the record knows, and after the record before
 * the expansion. Each restart finishes what the last one started: exactly one OpsRequest file
 * results, and the expansion runs once.
 */
describe('kill -9 of the controller between the autoscaler decision, its push and the expansion', () => {
  let fx: GitFixture;
  let runner: ReturnType<typeof crashRunner>;
  const state = () => runner.state();
  const scaler = async () => (await state())?.autoscalers?.burst;

  async function connect() {
    const s = (await state())!;
    const creds = await readJson<{ password: string }>(
      join(fx.stateDir, 'runtime', 'burst', 'credentials.json'),
    );
    const [host, port] = s.databases.burst!.members[0]!.endpoint.split(':');
    const r = new Redis({ host, port: Number(port), password: creds!.password, lazyConnect: true });
    await r.connect();
    return r;
  }

  async function fill() {
    const r = await connect();
    for (let i = 0; i < 10; i++) await r.set(`fill:${i}`, 'x'.repeat(Mi));
    const keys = await r.dbsize();
    r.disconnect();
    return keys;
  }

  async function dies(point: string) {
    const c = runner.start(point);
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000));
    const how = await Promise.race([exited(c), deadline]);
    if (how !== 'SIGKILL') {
      c.kill('SIGKILL');
      throw new Error(`the controller did not die at ${point} (${String(how)})`);
    }
  }

  const opsFiles = async () =>
    (await remoteLog(fx.url, fx.root))
      .flatMap((c) => c.files)
      .filter((f) => f.includes('-burst-volumeexpansion'));

  beforeAll(async () => {
    fx = await startGitFixture('autoscale-crash', {
      'databases/burst.yaml': redisStandalone('burst', {
        storage: '16Mi',
        config: 'auto-aof-rewrite-percentage 0',
      }),
      'autoscalers/burst.yaml': autoscaler('Redis', 'burst', 'trigger: "On"\nusageThreshold: 50\n'),
    });
    // A long poll interval: the expansion after the push comes from the controller applying
    // its own revision at once, not from the next poll.
    runner = crashRunner({
      url: fx.url,
      stateDir: fx.stateDir,
      args: ['--interval', '10m', '--autoscale-interval', '200ms', '--volumes', 'directory'],
    });
    runner.start();
    await waitFor(
      systemClock,
      'burst ready',
      async () => ((await state())?.databases.burst?.phase === 'Ready' ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await runner.stop();
  });
  afterAll(async () => {
    runner?.kill();
    await fx?.cleanup();
  });

  it('resumes the same decision after each kill, pushes one file, and expands once', async () => {
    const keys = await fill();
    // 1. Killed after the decision was persisted, before its push.
    await dies('autoscale:commit:before');
    const decided = (await scaler())!;
    expect(decided).toMatchObject({ stage: 'committing', lastDecision: { result: 'Committing' } });
    const file = decided.lastDecision!.file;
    expect(await opsFiles()).toEqual([]);
    // 2. Killed right after the push, before the record knew of it.
    await dies('autoscale:push:after');
    expect(await opsFiles()).toEqual([file]);
    expect((await scaler())!.stage).toBe('committing');
    const expansions = async () =>
      Object.values((await state())!.operations).filter((o) => o.type === 'VolumeExpansion');
    expect(await expansions()).toEqual([]);
    // 3. Killed after the record, before the controller applied the new revision.
    await dies('autoscale:commit:after');
    expect(await opsFiles()).toEqual([file]);
    const landed = (await scaler())!;
    expect(landed).toMatchObject({ stage: 'landing', lastDecision: { result: 'Committed', file } });
    // The restart before this kill may have seen the pushed file already: one operation at most.
    const before = await expansions();
    expect(before.map((o) => o.file)).toEqual(before.length ? [file] : []);

    // A last run applies the revision and expands, once.
    runner.start();
    const op = await waitFor(
      systemClock,
      'the expansion to finish',
      async () => {
        const s = await state();
        const o = Object.values(s?.operations ?? {}).find((x) => x.file === file);
        return o && ['Successful', 'Failed'].includes(o.phase) ? o : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(op.phase, op.message ?? '').toBe('Successful');
    const s = (await state()) as ControllerState;
    expect(Object.values(s.operations).filter((o) => o.type === 'VolumeExpansion')).toHaveLength(1);
    for (const step of new Set(op.steps.map((x) => x.name))) {
      expect(
        op.steps.filter((x) => x.name === step && x.phase === 'Succeeded'),
        step,
      ).toHaveLength(1);
    }
    // The member status is refreshed by the reconcile that follows the operation in the same
    // pass, so it may land a moment after the operation's end.
    await waitFor(
      systemClock,
      'the status to show the grown volume',
      async () =>
        (await state())?.databases.burst?.members[0]?.volume.capacityBytes === 24 * Mi
          ? true
          : undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await opsFiles()).toEqual([file]);
    // The data written before the kills is all there.
    const r = await connect();
    expect(await r.dbsize()).toBe(keys);
    expect((await r.get('fill:9'))?.length).toBe(Mi);
    r.disconnect();
    await runner.stop();
  });
});
