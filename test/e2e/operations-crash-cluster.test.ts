import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { readJson } from '../../src/platform/files.js';
import { crashRunner } from '../helpers/crash-runner.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { pushFiles } from '../helpers/git-work.js';
import { opsRequest, redisCluster } from '../helpers/manifests.js';

const exec = promisify(execFile);

/** kill -9 of the controller at every step of a rolling Reconfigure of a 3x2 Redis Cluster. */
describe('kill -9 during a rolling Reconfigure of a Redis Cluster (failovers included)', () => {
  let fx: GitFixture;
  let stateDir: string;
  let url: string;
  let runner: ReturnType<typeof crashRunner>;

  beforeAll(async () => {
    fx = await startGitFixture('opcrash-cluster', {
      'databases/cache.yaml': redisCluster('cache'),
    });
    ({ url, stateDir } = fx);
    runner = crashRunner({ url, stateDir });
    runner.start();
    await waitFor(
      systemClock,
      'cache ready',
      async () => ((await runner.state())?.databases.cache?.phase === 'Ready' ? true : undefined),
      {
        timeoutMs: 90_000,
        intervalMs: 200,
      },
    );
    await runner.stop();
  });
  afterAll(async () => {
    runner?.kill();
    await fx?.cleanup();
  });

  it('completes after a crash at each step and the cluster is healthy', async () => {
    const pw = (await readJson<{ password: string }>(
      join(stateDir, 'runtime', 'cache', 'credentials.json'),
    ))!.password;
    const cli = (endpoint: string, ...args: string[]) => {
      const [h, p] = endpoint.split(':') as [string, string];
      return exec('redis-cli', ['-c', '-h', h, '-p', p, ...args], {
        env: { ...process.env, REDISCLI_AUTH: pw },
      });
    };
    const first = (await runner.state())!.databases.cache!.members[0]!.endpoint;
    for (let i = 0; i < 30; i++) await cli(first, 'SET', `k${i}`, String(i));

    await pushFiles(
      url,
      {
        'ops/20261121-100000-cache-dbs.yaml': opsRequest(
          'Redis',
          'cache-dbs',
          'cache',
          'Reconfigure',
          '  configuration:\n    applyConfig:\n      redis.conf: |\n        databases 32\n',
        ),
      },
      'databases 32',
    );
    // The roles decide the order; the members are cache-shard<N>-0 (masters) and -1 (replicas).
    const steps = ['validate', 'write-config', 'apply-live'];
    for (const s of [0, 1, 2]) steps.push(`cycle:cache-shard${s}-1`, `in-sync:cache-shard${s}-1`);
    for (const s of [0, 1, 2])
      steps.push(
        `failover:shard${s}:cache-shard${s}-1`,
        `cycle:cache-shard${s}-0`,
        `in-sync:cache-shard${s}-0`,
      );
    steps.push('verify');
    await runner.crashThrough('Reconfigure', 'cache-dbs', steps);

    const endpoint = (await runner.state())!.databases.cache!.members[0]!.endpoint;
    const check = await exec('redis-cli', ['--cluster', 'check', endpoint], {
      env: { ...process.env, REDISCLI_AUTH: pw },
    });
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');
    for (let i = 0; i < 30; i++)
      expect((await cli(endpoint, 'GET', `k${i}`)).stdout.trim()).toBe(String(i));
    expect((await cli(endpoint, 'CONFIG', 'GET', 'databases')).stdout).toContain('32');
    // 19 crash points, each a controller process started again and a wait with its own
    // deadline: about 60 s on a quiet machine, more than 120 s on a loaded one.
  }, 400_000);
});
