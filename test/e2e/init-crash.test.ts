// kill -9 of the controller while a Postgres' init scripts run: once right after their
// transaction began (nothing ran: they run again), once right after it committed (not yet
// recorded: the transaction id says it committed, they do not run again). The scripts run
// exactly once.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../src/platform/files.js';
import type { ControllerState } from '../../src/reconcile/store.js';
import { spawnDbops } from '../helpers/cli-process.js';
import { exitedWithin, killed, waitReady } from '../helpers/controller-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { postgres } from '../helpers/manifests.js';

const files = {
  'databases/orders.yaml': postgres('orders', {
    replicas: 1,
    storage: '256Mi',
    deletionPolicy: 'WipeOut',
    spec: '  init:\n    script:\n      configMap:\n        name: orders-init\n',
  }),
  'databases/orders-init.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: orders-init
data:
  init.sql: |
    CREATE TABLE runs (n int);
    INSERT INTO runs VALUES (1);
`,
};

describe('kill -9 of the controller during init scripts', () => {
  let fx: GitFixture;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    fx = await startGitFixture('init-crash', files);
  });
  afterAll(async () => {
    if (child) await killed(child);
    await fx?.cleanup();
  });

  const start = (crashAt?: string) =>
    spawnDbops(
      ['run', '--repo', fx.url, '--state-dir', fx.stateDir, '--interval', '2s'],
      crashAt ? { DBOPS_CRASH_AT: crashAt } : {},
    );
  const status = () => readJson<ControllerState>(join(fx.stateDir, 'status.json'));

  it('runs the scripts exactly once', async () => {
    child = start('init:begun:after');
    await exitedWithin(child, 'the controller killed right after the transaction began', 120_000);
    const begun = (await status())?.databases.orders?.init;
    expect(begun).toMatchObject({ phase: 'Running', txid: expect.any(String) as string });

    child = start('init:commit:after');
    await exitedWithin(child, 'the controller killed right after the commit', 120_000);
    const committed = (await status())?.databases.orders?.init;
    expect(committed?.phase).toBe('Running');
    expect(committed?.txid).not.toBe(begun?.txid);

    const restartedAt = Date.now();
    child = start();
    const s = await waitReady(fx.stateDir, ['orders'], { since: restartedAt, timeoutMs: 120_000 });
    expect(s.databases.orders?.init).toMatchObject({
      phase: 'Succeeded',
      message: expect.stringMatching(/committed before the controller restarted/) as string,
    });
    const creds = (await readJson<{ username: string; password: string }>(
      join(fx.stateDir, 'runtime', 'orders', 'credentials.json'),
    ))!;
    const [host, port] = s.databases.orders!.members[0]!.endpoint.split(':') as [string, string];
    const c = new pg.Client({
      host,
      port: Number(port),
      user: creds.username,
      password: creds.password,
      database: 'postgres',
    });
    await c.connect();
    try {
      expect((await c.query('SELECT n FROM runs')).rows).toEqual([{ n: 1 }]);
    } finally {
      await c.end();
    }
  }, 400_000);
});
