import { execFile, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../src/platform/files.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import type { ControllerState } from '../../src/reconcile/store.js';
import { spawnDbops } from '../helpers/cli-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { postgres, redisCluster } from '../helpers/manifests.js';
import { pidsMatching } from '../helpers/processes.js';

const exec = promisify(execFile);

/** Members of a database that have a process recorded (member.json with a pid). */
async function startedMembers(stateDir: string, database: string): Promise<number> {
  const dir = join(stateDir, 'runtime', database, 'members');
  const names = await readdir(dir).catch(() => [] as string[]);
  let n = 0;
  for (const name of names) {
    const m = await readJson<{ pid?: number }>(join(dir, name, 'member.json')).catch(
      () => undefined,
    );
    if (m?.pid) n++;
  }
  return n;
}

/**
 * The status once every named database is Ready in a pass the controller finished after
 * `since` (ms): the work of a controller started then, not the file the last one left.
 */
function readyAfter(stateDir: string, names: string[], since: number): Promise<ControllerState> {
  return waitFor(
    systemClock,
    `${names.join(', ')} Ready in a pass after the restart`,
    async () => {
      const s = await readJson<ControllerState>(join(stateDir, 'status.json')).catch(
        () => undefined,
      );
      const fresh = names.every((n) => {
        const d = s?.databases[n];
        return d?.phase === 'Ready' && Date.parse(d.reconciledAt ?? '') > since;
      });
      return fresh ? s : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('kill -9 of the controller during provisioning', () => {
  let fx: GitFixture;
  let stateDir: string;
  let url: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    fx = await startGitFixture('crash', {
      'databases/cache.yaml': redisCluster('cache'),
      'databases/orders.yaml': postgres('orders', { replicas: 2 }),
    });
    ({ url, stateDir } = fx);
  });
  afterAll(async () => {
    if (child) await killed(child);
    await fx?.cleanup();
  });

  const start = () =>
    spawnDbops(['run', '--repo', url, '--state-dir', stateDir, '--interval', '2s']);

  it('resumes, converges with no duplicate members, and keeps the data', async () => {
    child = start();
    await waitFor(
      systemClock,
      'some cluster members started',
      async () => ((await startedMembers(stateDir, 'cache')) >= 2 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await killed(child);

    child = start();
    await waitFor(
      systemClock,
      'the primary started, standby not yet ready',
      async () => ((await startedMembers(stateDir, 'orders')) >= 1 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await killed(child);

    let restartedAt = Date.now();
    child = start();
    const ready = await readyAfter(stateDir, ['cache', 'orders'], restartedAt);
    expect(await pidsMatching(join(stateDir, 'runtime', 'cache'), 'redis-server')).toHaveLength(6);
    expect(ready.databases.orders?.members.map((m) => m.role).sort()).toEqual([
      'primary',
      'standby',
    ]);

    const pw = (await readJson<{ password: string }>(
      join(stateDir, 'runtime', 'cache', 'credentials.json'),
    ))!.password;
    const endpoint = ready.databases.cache!.members[0]!.endpoint;
    const cliEnv = { ...process.env, REDISCLI_AUTH: pw };
    const [host, port] = endpoint.split(':') as [string, string];
    for (let i = 0; i < 50; i++)
      await exec('redis-cli', ['-c', '-h', host, '-p', port, 'SET', `k${i}`, String(i)], {
        env: cliEnv,
      });
    const pidsBefore = (await pidsMatching(join(stateDir, 'runtime'))).sort();

    await killed(child);
    restartedAt = Date.now();
    child = start();
    // The new controller has observed and reconciled cache (adopting, not restarting, its members).
    await readyAfter(stateDir, ['cache'], restartedAt);
    expect((await pidsMatching(join(stateDir, 'runtime'))).sort()).toEqual(pidsBefore);
    const check = await exec('redis-cli', ['--cluster', 'check', endpoint], { env: cliEnv });
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');
    for (let i = 0; i < 50; i++) {
      const { stdout } = await exec('redis-cli', ['-c', '-h', host, '-p', port, 'GET', `k${i}`], {
        env: cliEnv,
      });
      expect(stdout.trim()).toBe(String(i));
    }
  });
});
