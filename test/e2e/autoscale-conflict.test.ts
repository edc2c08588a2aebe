import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageAutoscaler } from '../../src/autoscale/autoscaler.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createSource } from '../../src/source/local-source.js';
import { autoscaler, fillPast, redisClient, remoteLog } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { redisStandalone } from '../helpers/manifests.js';

const Mi = 1024 * 1024;

/**
 * A decision whose every push loses (another writer holds the branch's ref lock, which is
 * how a local repository reports a concurrent update) is kept: the next round tries the same
 * file again, and it lands once the branch is free. One decision, one file name.
 */
describe('storage autoscaler: a round that loses every race keeps its decision', () => {
  let env: TestEnv;
  let bot: StorageAutoscaler;
  const lock = () => join(env.bareDir, 'refs', 'heads', 'main.lock');

  beforeAll(async () => {
    env = await startEnv({
      'databases/burst.yaml': redisStandalone('burst', {
        storage: '16Mi',
        config: 'auto-aof-rewrite-percentage 0',
      }),
      'autoscalers/burst.yaml': autoscaler('Redis', 'burst', 'trigger: "On"\nusageThreshold: 50\n'),
    });
    await env.until('ready', (s) => db(s, 'burst').phase === 'Ready');
    // The same controller state, committing straight into the served bare repository.
    bot = new StorageAutoscaler({
      host: env.app.controller.autoscaleHost(),
      source: createSource({
        repo: env.bareDir,
        branch: 'main',
        cacheDir: join(env.root, 'unused'),
        clock: systemClock,
        log: silentLogger(),
      }),
      runtime: env.app.runtime,
      clock: systemClock,
      random: () => 0,
      log: silentLogger(),
      author: { name: 'dbops-autoscaler', email: 'dbops-autoscaler@localhost' },
      cooldownMs: 0,
      maxAttempts: 2,
    });
    const c = await redisClient(env.app.runtime, 'burst');
    await fillPast(env.app.runtime, 'burst', 50, (i) => c.set(`fill:${i}`, 'x'.repeat(Mi)));
    c.disconnect();
  });
  afterAll(async () => {
    await rm(lock(), { force: true });
    await env?.close();
  });

  it('keeps the decision and its file name across rounds, then lands it once the branch is free', async () => {
    await writeFile(lock(), '');
    await bot.tick();
    let a = (await env.converge()).autoscalers[0]!;
    const file = a.lastDecision!.file;
    expect(a.lastDecision).toMatchObject({ result: 'Committing', attempts: 2, commit: null });
    expect(a.conditions.find((c) => c.type === 'AutoscalerCommitFailed')).toMatchObject({
      status: 'True',
      reason: 'CommitConflicts',
    });
    await bot.tick();
    a = (await env.converge()).autoscalers[0]!;
    expect(a.lastDecision).toMatchObject({ result: 'Committing', attempts: 4, file });
    expect(a.commitConflicts).toBe(4);
    expect((await remoteLog(env.url, env.root)).flatMap((c) => c.files)).not.toContain(file);

    await rm(lock());
    await bot.tick();
    const s = await env.until('the expansion', (x) =>
      x.opsRequests.some((o) => o.file === file && o.phase === 'Successful'),
    );
    a = s.autoscalers[0]!;
    expect(a.lastDecision).toMatchObject({ result: 'Committed', attempts: 5, file });
    expect(a.conditions.find((c) => c.type === 'AutoscalerCommitFailed')).toBeUndefined();
    const files = (await remoteLog(env.url, env.root)).flatMap((c) => c.files);
    expect(files.filter((f) => f.includes('-burst-volumeexpansion'))).toEqual([file]);
  });
});
