import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAutoscale } from '../../src/main.js';
import {
  autoscaler,
  autoscalerOp,
  fillPast,
  redisClient,
  remoteLog,
} from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

const Mi = 1024 * 1024;

/** Review mode (--autoscale-branch): each decision waits on its own branch for a merge. */
describe('storage autoscaler in review mode: a branch per decision, applied after the merge', () => {
  let env: TestEnv;
  let bare: string;
  const branches = async () =>
    (await git(env.root, 'ls-remote', '--heads', env.url))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[1]!.replace('refs/heads/', ''));

  beforeAll(async () => {
    env = await startEnv(
      {
        'databases/burst.yaml': redisStandalone('burst', {
          storage: '16Mi',
          config: 'auto-aof-rewrite-percentage 0',
        }),
        'autoscalers/burst.yaml': autoscaler(
          'Redis',
          'burst',
          'trigger: "On"\nusageThreshold: 50\n',
        ),
      },
      { config: { autoscale: { ...defaultAutoscale, branchPrefix: 'dbops/autoscale' } } },
    );
    bare = env.bareDir;
    await env.until('ready', (s) => db(s, 'burst').phase === 'Ready');
    const c = await redisClient(env.app.runtime, 'burst');
    await fillPast(env.app.runtime, 'burst', 50, (i) => c.set(`fill:${i}`, 'x'.repeat(Mi)));
    c.disconnect();
  });
  afterAll(async () => {
    await env?.close();
  });

  it('pushes the decision to its own branch, leaves main alone, and makes no second branch while it waits', async () => {
    const main = (await remoteLog(env.url, env.root))[0]!.sha;
    for (let i = 0; i < 4; i++) await env.app.autoscaler.tick();
    const s = await env.converge();
    const a = s.autoscalers.find((x) => x.database === 'burst')!;
    expect(a.mode).toBe('review');
    expect(a.lastDecision).toMatchObject({ result: 'AwaitingMerge', toBytes: 24 * Mi });
    const branch = a.lastDecision!.branch!;
    expect(branch).toMatch(/^dbops\/autoscale\/burst-\d{8}-\d{6}$/);
    expect(await branches()).toEqual(expect.arrayContaining([branch, 'main']));
    expect((await branches()).filter((b) => b.startsWith('dbops/'))).toEqual([branch]);
    expect((await remoteLog(env.url, env.root))[0]!.sha).toBe(main);
    expect(a.conditions.find((c) => c.type === 'AutoscalerAwaitingMerge')).toMatchObject({
      status: 'True',
      message: expect.stringContaining(branch) as unknown,
    });
    expect(await git(env.root, '--git-dir', bare, 'show', '-s', '--format=%P', branch)).toBe(main);
    expect(s.opsRequests.filter((o) => o.type === 'VolumeExpansion')).toEqual([]);
  });

  it('after a merge into main the expansion runs, and the autoscaler stops waiting', async () => {
    const branch = (await env.converge()).autoscalers[0]!.lastDecision!.branch!;
    await git(env.root, '--git-dir', bare, 'update-ref', 'refs/heads/main', `refs/heads/${branch}`);
    const s = await env.until(
      'the merged expansion',
      (x) => autoscalerOp(x, 'burst')?.phase === 'Successful',
    );
    for (const m of db(s, 'burst').members) expect(m.volume.capacityBytes).toBe(24 * Mi);
    const cooling = s.autoscalers[0]!.decisions['Cooldown'] ?? 0;
    await env.app.autoscaler.tick();
    await env.app.autoscaler.tick();
    const a = (await env.converge()).autoscalers[0]!;
    expect(a.conditions.find((c) => c.type === 'AutoscalerAwaitingMerge')).toBeUndefined();
    expect(a.lastDecision).toMatchObject({ result: 'Committed', branch });
    // Waiting is over: it decides again, and the first answer is the cooldown after an expansion.
    expect(a.decisions['Cooldown']).toBeGreaterThan(cooling);
  });
});
