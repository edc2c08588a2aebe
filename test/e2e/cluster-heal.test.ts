import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCluster } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const exec = promisify(execFile);

describe('Redis Cluster repair', () => {
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

  it('heals after kill -9 of a master: the replica takes over and the old master rejoins as its replica', async () => {
    const observed = await env.app.runtime.observe('cache');
    const status = await env.converge();
    const master = db(status, 'cache').members.find(
      (m) => m.name.startsWith('cache-shard1-') && m.role === 'master',
    );
    const victim = observed?.members.find((m) => m.name === master?.name);
    expect(Number(victim?.instance)).toBeGreaterThan(0);
    process.kill(Number(victim!.instance), 'SIGKILL');

    const healed = await env.until(
      'old master back as a replica and the cluster ready',
      (s) => {
        const cache = s.databases.find((d) => d.name === 'cache');
        const old = cache?.members.find((m) => m.name === victim!.name);
        return cache?.phase === 'Ready' && old?.role === 'replica' && old.ready;
      },
      120_000,
    );
    const shard1 = db(healed, 'cache').members.filter((m) => m.name.startsWith('cache-shard1-'));
    expect(shard1.map((m) => m.role).sort()).toEqual(['master', 'replica']);
    expect(shard1.find((m) => m.name === victim!.name)?.restarts).toBeGreaterThanOrEqual(1);

    const creds = await env.app.runtime.credentials('cache');
    const check = await exec('redis-cli', ['--cluster', 'check', shard1[0]!.endpoint], {
      env: { ...process.env, REDISCLI_AUTH: creds!.password },
    });
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');
    expect(check.stdout).not.toContain('[ERR]');
  });
});
