import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { readJson } from '../../src/platform/files.js';
import { crashRunner } from '../helpers/crash-runner.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { pushFiles } from '../helpers/git-work.js';
import { opsRequest, redisStandalone } from '../helpers/manifests.js';

/**
 * kill -9 of the controller at every step of an operation: the controller is started with
 * DBOPS_CRASH_AT naming one step after the other (before it runs, after it succeeded), each
 * run resumes the operation and dies at the next point, and a last run finishes it.
 */
describe('kill -9 of the controller at every step of VolumeExpansion and Reconfigure', () => {
  let fx: GitFixture;
  let stateDir: string;
  let url: string;

  let runner: ReturnType<typeof crashRunner>;
  const state = () => runner.state();
  const crashThrough = (type: string, name: string, steps: string[]) =>
    runner.crashThrough(type, name, steps);

  async function client() {
    const s = await state();
    const creds = await readJson<{ password: string }>(
      join(stateDir, 'runtime', 'session', 'credentials.json'),
    );
    const [host, port] = s!.databases.session!.members[0]!.endpoint.split(':');
    const r = new Redis({
      host,
      port: Number(port),
      password: creds!.password,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await r.connect();
    return r;
  }

  beforeAll(async () => {
    fx = await startGitFixture('opcrash', {
      'databases/session.yaml': redisStandalone('session', { config: 'maxmemory 32mb' }),
    });
    ({ url, stateDir } = fx);
    runner = crashRunner({ url, stateDir });
    runner.start();
    await waitFor(
      systemClock,
      'session ready',
      async () => ((await state())?.databases.session?.phase === 'Ready' ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await runner.stop();
    const r = await client();
    for (let i = 0; i < 200; i++) await r.set(`key${i}`, String(i));
    r.disconnect();
  });
  afterAll(async () => {
    runner?.kill();
    await fx?.cleanup();
  });

  it('VolumeExpansion completes after a crash at each step, and the data is intact', async () => {
    await pushFiles(
      url,
      {
        'ops/20261121-100000-session-grow.yaml': opsRequest(
          'Redis',
          'session-grow',
          'session',
          'VolumeExpansion',
          '  volumeExpansion:\n    mode: Online\n    redis: 1Gi\n',
        ),
      },
      'grow',
    );
    await crashThrough('VolumeExpansion', 'session-grow', ['expand:session-0']);
    // The status shows the grown volume once the controller observed it after the operation.
    runner.start();
    await waitFor(
      systemClock,
      'the grown volume in the status',
      async () => {
        const cap = (await state())?.databases.session?.members[0]?.volume.capacityBytes ?? 0;
        return cap >= 512 * 1024 * 1024 ? cap : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await runner.stop();
    const r = await client();
    try {
      for (let i = 0; i < 200; i++) expect(await r.get(`key${i}`)).toBe(String(i));
    } finally {
      r.disconnect();
    }
  });

  it('Reconfigure with a restart completes after a crash at each step, and the data is intact', async () => {
    await pushFiles(
      url,
      {
        'ops/20261121-110000-session-dbs.yaml': opsRequest(
          'Redis',
          'session-dbs',
          'session',
          'Reconfigure',
          '  configuration:\n    applyConfig:\n      redis.conf: |\n        databases 32\n',
        ),
      },
      'databases 32',
    );
    await crashThrough('Reconfigure', 'session-dbs', [
      'validate',
      'write-config',
      'apply-live',
      'cycle:session-0',
      'in-sync:session-0',
      'verify',
    ]);
    const r = await client();
    try {
      expect(await r.config('GET', 'databases')).toEqual(['databases', '32']);
      for (let i = 0; i < 200; i++) expect(await r.get(`key${i}`)).toBe(String(i));
    } finally {
      r.disconnect();
    }
  });
});
