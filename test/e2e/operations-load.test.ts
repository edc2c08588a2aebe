import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/api/status.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { pushFiles } from '../helpers/git-work.js';
import { startRedisLoad, type LoadReport } from '../helpers/load-writer.js';
import { opsRequest, redisCluster } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const ended = (s: StatusDocument, name: string) =>
  ['Successful', 'Failed', 'Skipped'].includes(
    s.opsRequests.find((x) => x.name === name)?.phase ?? '',
  );

/**
 * Operations on a 3-shard Redis Cluster while a client writes continuously (>= 1 acknowledged
 * write per millisecond): zero failed writes, zero lost acknowledged writes.
 */
describe('operations on a Redis Cluster under load', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv({ 'databases/cache.yaml': redisCluster('cache') });
    await env.until(
      'cache ready',
      (s) => s.databases.find((d) => d.name === 'cache')?.phase === 'Ready',
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  async function underLoad(
    name: string,
    files: Record<string, string>,
  ): Promise<{ status: StatusDocument; load: LoadReport }> {
    const creds = await env.app.runtime.credentials('cache');
    const observed = await env.app.runtime.observe('cache');
    const load = await startRedisLoad({
      endpoints: observed!.members.map((m) => m.endpoint),
      password: creds!.password,
      cluster: true,
    });
    await pushFiles(env.url, files, name);
    const status = await env.until(`${name} ended`, (s) => ended(s, name), 180_000);
    await load.stop();
    return { status, load: await load.verify() };
  }

  it('a Reconfigure that needs a restart rolls through the cluster with failovers, no failed writes', async () => {
    const pidsBefore = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    const { status, load } = await underLoad('cache-dbs', {
      'ops/20261121-100000-cache-reconfigure.yaml': opsRequest(
        'Redis',
        'cache-dbs',
        'cache',
        'Reconfigure',
        '  configuration:\n    applyConfig:\n      redis.conf: |\n        databases 32\n',
      ),
    });
    const o = status.opsRequests.find((x) => x.name === 'cache-dbs')!;
    expect(o.phase, o.message ?? '').toBe('Successful');
    expect(
      o.steps.filter((s) => s.name.startsWith('failover:') && s.phase === 'Succeeded'),
    ).toHaveLength(3);
    const pidsAfter = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    pidsAfter.forEach((p, i) => expect(p).not.toBe(pidsBefore[i]));
    expect(load.attempted / load.durationMs).toBeGreaterThanOrEqual(1);
    expect(load).toMatchObject({ failed: 0, lost: 0 });
    expect(db(await env.converge(), 'cache').phase).toBe('Ready');
  });

  it('a Reconfigure of a runtime setting applies live, no restart, no failed writes', async () => {
    const pidsBefore = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    const { status, load } = await underLoad('cache-lru', {
      'ops/20261121-110000-cache-lru.yaml': opsRequest(
        'Redis',
        'cache-lru',
        'cache',
        'Reconfigure',
        '  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory-policy allkeys-lru\n',
      ),
    });
    expect(status.opsRequests.find((x) => x.name === 'cache-lru')?.phase).toBe('Successful');
    expect((await env.app.runtime.observe('cache'))!.members.map((m) => m.instance)).toEqual(
      pidsBefore,
    );
    expect(load).toMatchObject({ failed: 0, lost: 0 });
  });

  it('a Restart OpsRequest restarts every member in the safe order, no failed writes', async () => {
    const pidsBefore = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    const { status, load } = await underLoad('cache-restart', {
      'ops/20261121-120000-cache-restart.yaml': opsRequest(
        'Redis',
        'cache-restart',
        'cache',
        'Restart',
        '',
      ),
    });
    expect(status.opsRequests.find((x) => x.name === 'cache-restart')?.phase).toBe('Successful');
    const pidsAfter = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    pidsAfter.forEach((p, i) => expect(p).not.toBe(pidsBefore[i]));
    expect(load).toMatchObject({ failed: 0, lost: 0 });
  });

  it('an Offline VolumeExpansion stops and restarts each member in the safe order, no failed writes', async () => {
    const pidsBefore = (await env.app.runtime.observe('cache'))!.members.map((m) => m.instance);
    const { status, load } = await underLoad('cache-offline', {
      'ops/20261121-130000-cache-offline.yaml': opsRequest(
        'Redis',
        'cache-offline',
        'cache',
        'VolumeExpansion',
        '  volumeExpansion:\n    mode: Offline\n    redis: 2Gi\n',
      ),
    });
    const o = status.opsRequests.find((x) => x.name === 'cache-offline')!;
    expect(o.phase, o.message ?? '').toBe('Successful');
    expect(
      o.steps.filter((s) => s.name.startsWith('failover:') && s.phase === 'Succeeded'),
    ).toHaveLength(3);
    const after = await env.app.runtime.observe('cache');
    after!.members.forEach((m, i) => {
      expect(m.instance).not.toBe(pidsBefore[i]);
      expect(m.volume.capacityBytes).toBeGreaterThanOrEqual(2 * 1024 ** 3);
    });
    expect(load).toMatchObject({ failed: 0, lost: 0 });
  });

  it('runs one operation at a time; the next waits in arrival order with its position', async () => {
    await pushFiles(
      env.url,
      {
        'ops/20261121-140000-cache-restart.yaml': opsRequest(
          'Redis',
          'cache-restart-2',
          'cache',
          'Restart',
          '',
        ),
        'ops/20261121-140001-cache-lfu.yaml': opsRequest(
          'Redis',
          'cache-lfu',
          'cache',
          'Reconfigure',
          '  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory-policy allkeys-lfu\n',
        ),
      },
      'two operations in one commit',
    );
    await env.app.controller.round({ fetch: true });
    const seen = await waitFor(
      systemClock,
      'the second operation queued behind the first',
      () => {
        const ops = env.app.controller.status().opsRequests;
        const first = ops.find((o) => o.name === 'cache-restart-2');
        const second = ops.find((o) => o.name === 'cache-lfu');
        return first?.phase === 'Progressing' && second?.phase === 'Pending' ? second : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(seen.position).toBe(1);
    expect(seen.message).toMatch(/waiting for cache-restart-2/);
    const s = await env.until(
      'both ended',
      (x) => ended(x, 'cache-restart-2') && ended(x, 'cache-lfu'),
    );
    const [a, b] = ['cache-restart-2', 'cache-lfu'].map((n) =>
      s.opsRequests.find((o) => o.name === n)!,
    );
    expect([a!.phase, b!.phase]).toEqual(['Successful', 'Successful']);
    expect(Date.parse(b!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a!.finishedAt!));
  });
});
