import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsRequestStatus } from '../../src/api/status.js';
import { serveHttp } from '../../src/http/serve.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { dbops } from '../helpers/cli-in-process.js';
import type { PlannedOperation } from '../../src/plan/planned-operation.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git, writeFiles } from '../helpers/git-work.js';
import { opsRequest, postgres, redisCluster, redisStandalone } from '../helpers/manifests.js';

const withConfig = (manifest: string, file: string, text: string) =>
  manifest.replace(
    '  deletionPolicy:',
    `  configuration:\n    inline:\n      ${file}: |\n${text
      .trim()
      .split('\n')
      .map((l) => `        ${l}`)
      .join('\n')}\n  deletionPolicy:`,
  );

/** The members an operation restarted and the failovers it made, from its step history. */
function performed(o: OpsRequestStatus) {
  const ran = (s: { message: string | null }) => s.message !== 'no restart needed';
  return {
    restarts: o.steps
      .filter((s) => s.name.startsWith('cycle:') && ran(s))
      .map((s) => s.name.slice('cycle:'.length)),
    failovers: o.steps.filter((s) => s.name.startsWith('failover:') && ran(s)).length,
    expanded: o.steps
      .filter((s) => s.name.startsWith('expand:') && s.name !== 'expand:finish')
      .map((s) => s.name.slice('expand:'.length)),
  };
}

describe('dbops plan against what the controller then does (real Git, real servers)', () => {
  let env: TestEnv;
  let work: string;
  let repo: string;
  /** dbops plan of the work tree's HEAD against the remote's main. */
  const planHead = (...more: string[]) =>
    dbops(repo, 'plan', '--base', 'origin/main', '--head', 'HEAD', ...more);

  beforeAll(async () => {
    env = await startEnv({
      'databases/cache.yaml': redisCluster('cache', { shards: 3, replicas: 2, storage: '256Mi' }),
      'databases/session.yaml': redisStandalone('session', {
        config: 'maxmemory-policy noeviction',
      }),
      'databases/orders.yaml': postgres('orders', { replicas: 2, storage: '256Mi' }),
    });
    await env.until(
      'ready',
      (s) => s.databases.length === 3 && s.databases.every((d) => d.phase === 'Ready'),
      180_000,
    );
    work = await mkdtemp(join(tmpdir(), 'dbops-plan-e2e-'));
    repo = join(work, 'repo');
    await git(work, 'clone', '--quiet', env.url, 'repo');
  });
  afterAll(async () => {
    await env?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lists exactly the operations the controller performs for the pushed commit, with its restarts and failovers', async () => {
    await writeFiles(repo, {
      'databases/cache.yaml': withConfig(
        redisCluster('cache', { shards: 3, replicas: 2, storage: '256Mi' }),
        'redis.conf',
        'databases 32',
      ),
      'databases/session.yaml': redisStandalone('session', {
        config: 'maxmemory-policy allkeys-lru',
      }),
      'databases/orders.yaml': postgres('orders', { replicas: 2, storage: '512Mi' }),
      'ops/20261202-120000-orders-reconfigure.yaml': opsRequest(
        'Postgres',
        'orders-buffers',
        'orders',
        'Reconfigure',
        `  configuration:\n    applyConfig:\n      user.conf: |\n        shared_buffers = 64MB\n`,
      ),
    });
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', 'cache: 32 databases; session: lru; orders: more');

    const r = await planHead('--format', 'json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as {
      allowed: boolean;
      databases: { name: string; change: string; operations: PlannedOperation[] }[];
    };
    const predicted = plan.databases.flatMap((d) => d.operations);
    expect(predicted.map((o) => `${o.database}:${o.type}:${o.source}`)).toEqual([
      'cache:Reconfigure:SpecChange',
      'orders:Reconfigure:OpsRequest',
      'orders:VolumeExpansion:SpecChange',
      'session:Reconfigure:SpecChange',
    ]);

    await git(repo, 'push', '--quiet', 'origin', 'HEAD');
    const head = await git(repo, 'rev-parse', 'HEAD');
    const s = await env.until(
      'every operation of the commit ended',
      (x) =>
        x.opsRequests.filter((o) => o.revision === head || o.name === 'orders-buffers').length ===
          predicted.length &&
        x.opsRequests.every((o) => ['Successful', 'Failed', 'Skipped'].includes(o.phase)),
      240_000,
    );
    const done = s.opsRequests
      .filter((o) => o.revision === head || o.name === 'orders-buffers')
      .sort((a, b) => (a.database < b.database ? -1 : a.database > b.database ? 1 : 0));
    // Same operations, in the same order per database, each Successful.
    expect(done.map((o) => `${o.database}:${o.type}:${o.origin}:${o.phase}`)).toEqual(
      predicted.map((o) => `${o.database}:${o.type}:${o.source}:Successful`),
    );
    for (const [i, o] of done.entries()) {
      const want = predicted[i]!;
      const got = performed(o);
      expect({ op: o.name, ...got }).toEqual({
        op: o.name,
        restarts: want.restarts,
        failovers: want.failovers,
        expanded:
          want.type === 'VolumeExpansion'
            ? want.steps.flatMap((st) => (st.kind === 'cycle' ? [st.member] : []))
            : [],
      });
    }
    // What the plan said about the restarts, in numbers a reviewer reads.
    expect(predicted.map((o) => [o.database, o.restarts.length, o.failovers])).toEqual([
      ['cache', 6, 3],
      ['orders', 2, 0],
      ['orders', 0, 0],
      ['session', 0, 0],
    ]);
    expect(db(s, 'cache').phase).toBe('Ready');
  });

  it('--live plans against what the controller applied, with estimates from its past operations', async () => {
    await writeFiles(repo, {
      'databases/orders.yaml': postgres('orders', { replicas: 2, storage: '1Gi' }),
    });
    await git(repo, 'commit', '--quiet', '-am', 'orders: 1Gi');
    const r = await planHead('--live', '--state-dir', env.stateDir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/against the live state/);
    const want =
      /1\. VolumeExpansion 512Mi -> 1Gi, Online, no restart \(spec change, databases\/orders\.yaml; about (under 1 s|\d+ s) \(median of 1 past VolumeExpansion of orders\)\)/;
    expect(r.out).toMatch(want);

    // The same from the controller's status API (dbops run --http).
    const http = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      deps: {
        status: () => env.app.controller.status(),
        refresh: () => env.app.controller.refresh(),
        ready: () => env.app.controller.ready(),
        metrics: env.app.metrics,
        log: silentLogger(),
        clock: systemClock,
      },
    });
    try {
      const server = `http://127.0.0.1:${http.port}`;
      const viaApi = await planHead('--live', '--server', server);
      expect(viaApi).toMatchObject({ code: 0, err: '', out: r.out });
    } finally {
      await http.close();
    }
    const gone = await planHead('--live', '--server', 'http://127.0.0.1:9');
    expect(gone).toMatchObject({ code: 2, out: '' });
    expect(gone.err).toMatch(/--server: http:\/\/127\.0\.0\.1:9\/api\/v1\/status did not answer/);
  });

  it('exits 2 for a revision that does not exist, and prints nothing on stdout', async () => {
    const r = await dbops(repo, 'plan', '--base', 'no-such-branch', '--head', 'HEAD');
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/revision 'no-such-branch' does not exist/);
  });
});
