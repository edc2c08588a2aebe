// The controller (`dbops run --runtime kubernetes`, a real child process) from a pushed commit
// on a real control plane, reaching the servers through the API server's port-forward as it
// would from a laptop. The pods' containers are real redis-server and postgres processes on
// the pods' addresses (kube-containers.ts says what stands in for what), so the Redis Cluster
// forms over the pods' addresses and the Postgres standby clones and streams from the primary.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseQuantity } from '../../src/api/quantity.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { exited } from '../helpers/crash-runner.js';
import { runDbops, spawnDbops } from '../helpers/cli-process.js';
import { pushFiles } from '../helpers/git-work.js';
import { opsRequest } from '../helpers/manifests.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { configMapStateStore } from '../../src/runtime/kubernetes/state-store.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { runContainers, type Containers } from '../helpers/kube-containers.js';
import {
  namespace,
  playStorageDriver,
  startControlPlane,
  storageClass,
  type ControlPlane,
} from '../helpers/kube-control-plane.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const ns = 'shop';

const storage = `  storage:
    storageClassName: expandable
    resources:
      requests:
        storage: 1Gi
`;
const manifests = {
  'databases/cache.yaml': `apiVersion: kubedb.com/v1
kind: Redis
metadata:
  name: cache
spec:
  version: 7.0.15
  mode: Cluster
  cluster:
    shards: 3
    replicas: 2
${storage}`,
  'databases/session.yaml': `apiVersion: kubedb.com/v1
kind: Redis
metadata:
  name: session
spec:
  version: 7.0.15
${storage}`,
  'databases/orders.yaml': `apiVersion: kubedb.com/v1
kind: Postgres
metadata:
  name: orders
spec:
  version: "15"
  replicas: 2
${storage}`,
};

interface StatusDoc {
  databases: {
    name: string;
    phase: string;
    conditions: { type: string; status: string; message: string }[];
    members: { name: string; endpoint: string; role: string }[];
  }[];
}

describe.skipIf(!bin)(
  `the controller on Kubernetes, data plane${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let cp: ControlPlane;
    let fx: GitFixture;
    let driver: { stop(): void } | undefined;
    let containers: Containers | undefined;
    let controller: ChildProcess | undefined;
    const flags = () => [
      '--runtime',
      'kubernetes',
      '--kubeconfig',
      cp.kubeconfig,
      '--namespace',
      ns,
    ];
    const status = async (): Promise<StatusDoc> => {
      const r = await runDbops(['status', ...flags(), '--output', 'json']);
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as StatusDoc;
    };
    const podIP = (pod: string) =>
      cp.kubectl('get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.podIP}');
    const password = async (db: string) =>
      Buffer.from(
        await cp.kubectl(
          'get',
          'secret',
          `${db}-auth`,
          '-n',
          ns,
          '-o',
          'jsonpath={.data.password}',
        ),
        'base64',
      ).toString();

    beforeAll(async () => {
      cp = await startControlPlane(bin);
      await cp.apply(`${namespace(ns)}---\n${storageClass('expandable', true)}`);
      driver = playStorageDriver(cp.kubeconfig, ns);
      containers = await runContainers(cp.kubeconfig, ns);
      fx = await startGitFixture('kube-data', manifests);
      controller = start();
    });
    /** The controller's state, where it keeps it: the ConfigMap in the namespace. */
    const store = () =>
      configMapStateStore({
        api: kubeApis(loadKubeConfig({ kubeconfig: cp.kubeconfig }).config).core,
        namespace: ns,
      });
    /** The operation `name` once it has ended (Successful or Failed). */
    const finished = (name: string) =>
      waitFor(
        systemClock,
        `${name} to finish`,
        async () => {
          const o = (await store().load())?.operations[name];
          return o && ['Successful', 'Failed'].includes(o.phase) ? o : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    const start = (env: NodeJS.ProcessEnv = {}) =>
      spawnDbops(
        [
          'run',
          '--repo',
          fx.url,
          ...flags(),
          '--interval',
          '2s',
          '--state-dir',
          join(fx.root, 'c'),
        ],
        env,
      );
    afterAll(async () => {
      if (controller && controller.exitCode === null && controller.signalCode === null) {
        controller.kill('SIGKILL');
        await exited(controller);
      }
      await containers?.stop();
      driver?.stop();
      await fx?.cleanup();
      await cp?.stop();
    });

    it('brings a Redis Cluster, a standalone Redis and a Postgres with a standby to Ready through the port-forward', async () => {
      const doc = await waitFor(
        systemClock,
        'cache, session and orders Ready',
        async () => {
          const s = await status().catch(() => undefined);
          const ready = ['cache', 'session', 'orders'].every(
            (n) => s?.databases.find((d) => d.name === n)?.phase === 'Ready',
          );
          return ready ? s : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 1000 },
      ).catch(async (err: Error) => {
        const s = await status().catch(() => undefined);
        throw new Error(
          `${err.message}\n${JSON.stringify(s?.databases.map((d) => [d.name, d.phase, d.conditions]))}\n${containers?.logOf('orders-1')}`,
        );
      });
      const cond = (db: string, type: string) =>
        doc.databases.find((d) => d.name === db)?.conditions.find((c) => c.type === type);
      expect(cond('cache', 'ClusterHealthy')).toMatchObject({ status: 'True' });
      expect(cond('orders', 'ReplicationHealthy')).toMatchObject({
        status: 'True',
        message: '1 standby(s) streaming',
      });
      // kubectl shows each database's phase on its root object, and why it is (not) ready.
      const listed = await waitFor(
        systemClock,
        'the phases on the roots',
        async () => {
          const out = await cp.kubectl(
            'get',
            'configmap',
            '-n',
            ns,
            '-l',
            'dbops.dev/phase',
            '-L',
            'dbops.dev/phase',
          );
          return ['cache', 'session', 'orders'].every((n) =>
            new RegExp(`^${n}-dbops\\s.*\\sReady\\s*$`, 'm').test(out),
          )
            ? out
            : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(listed).toMatch(/PHASE/);
      expect(
        await cp.kubectl(
          'get',
          'configmap',
          'orders-dbops',
          '-n',
          ns,
          '-o',
          'jsonpath={.metadata.annotations.dbops\\.dev/status}',
        ),
      ).toBe('every member is ready');
      // The controller reached the servers through local port-forwards, not the pods' addresses.
      for (const d of doc.databases) {
        for (const m of d.members) expect(m.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      }
    });

    it('the cluster knows its members by the pods addresses, and a cluster client writes and reads across shards', async () => {
      const pass = await password('cache');
      const ip = await podIP('cache-shard0-0');
      const one = new Redis({ host: ip, port: 6379, password: pass, lazyConnect: true });
      await one.connect();
      const info = String(await one.call('CLUSTER', 'INFO'));
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_known_nodes:6/);
      const nodes = String(await one.call('CLUSTER', 'NODES'));
      one.disconnect();
      const pods = ['0', '1', '2'].flatMap((s) => [`cache-shard${s}-0`, `cache-shard${s}-1`]);
      const ips = await Promise.all(pods.map(podIP));
      for (const a of ips) expect(nodes).toContain(`${a}:6379@16379`);
      const client = new Redis.Cluster([{ host: ip, port: 6379 }], {
        redisOptions: { password: pass },
      });
      try {
        for (let i = 0; i < 30; i++) await client.set(`k${i}`, `v${i}`);
        for (let i = 0; i < 30; i++) expect(await client.get(`k${i}`)).toBe(`v${i}`);
      } finally {
        client.disconnect();
      }
    });

    it('the standby was cloned from the primary and replays its writes', async () => {
      const pass = await password('orders');
      const primary = new pg.Client({
        host: await podIP('orders-0'),
        port: 5432,
        user: 'postgres',
        password: pass,
      });
      const standby = new pg.Client({
        host: await podIP('orders-1'),
        port: 5432,
        user: 'postgres',
        password: pass,
      });
      await primary.connect();
      await standby.connect();
      try {
        await primary.query('CREATE TABLE t (id int)');
        await primary.query('INSERT INTO t VALUES (1), (2), (3)');
        expect((await standby.query('SELECT pg_is_in_recovery() AS r')).rows[0]).toEqual({
          r: true,
        });
        await waitFor(
          systemClock,
          'the standby to replay the insert',
          async () => {
            const r = await standby
              .query<{ n: number }>('SELECT count(*)::int AS n FROM t')
              .catch(() => undefined);
            return r?.rows[0]?.n === 3 ? true : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
      } finally {
        await primary.end();
        await standby.end();
      }
    });

    it('a Reconfigure that needs a restart rewrites the config Secret, restarts the pod and keeps the data', async () => {
      const pass = await password('session');
      const before = new Redis({ host: await podIP('session-0'), port: 6379, password: pass });
      await before.set('kept', 'yes');
      await before.call('BGREWRITEAOF');
      before.disconnect();
      const uid = await cp.kubectl(
        'get',
        'pod',
        'session-0',
        '-n',
        ns,
        '-o',
        'jsonpath={.metadata.uid}',
      );
      await pushFiles(
        fx.url,
        {
          'ops/20261202-010000-session-dbs.yaml': opsRequest(
            'Redis',
            'session-dbs',
            'session',
            'Reconfigure',
            '  configuration:\n    applyConfig:\n      redis.conf: |\n        databases 32\n',
          ),
        },
        'more databases for session',
      );
      const op = await finished('session-dbs');
      expect(op.phase, JSON.stringify(op.steps)).toBe('Successful');
      const secret = await cp.kubectl(
        'get',
        'secret',
        'session-config',
        '-n',
        ns,
        '-o',
        'jsonpath={.data.redis\\.conf}',
      );
      expect(Buffer.from(secret, 'base64').toString()).toMatch(/^databases 32$/m);
      expect(
        await cp.kubectl('get', 'pod', 'session-0', '-n', ns, '-o', 'jsonpath={.metadata.uid}'),
      ).not.toBe(uid);
      const after = new Redis({ host: await podIP('session-0'), port: 6379, password: pass });
      try {
        expect(await after.call('CONFIG', 'GET', 'databases')).toEqual(['databases', '32']);
        expect(await after.get('kept')).toBe('yes');
      } finally {
        after.disconnect();
      }
    });

    it('a VolumeExpansion survives kill -9 of the controller before and after each step, and completes with the data kept', async () => {
      const pass = await password('session');
      const r = new Redis({ host: await podIP('session-0'), port: 6379, password: pass });
      for (let i = 0; i < 100; i++) await r.set(`key${i}`, String(i));
      r.disconnect();
      controller!.kill('SIGTERM');
      await exited(controller!);
      await pushFiles(
        fx.url,
        {
          'ops/20261202-020000-session-grow.yaml': opsRequest(
            'Redis',
            'session-grow',
            'session',
            'VolumeExpansion',
            '  volumeExpansion:\n    mode: Online\n    redis: 2Gi\n',
          ),
        },
        'grow session',
      );
      for (const step of ['expand:session-0', 'expand:finish']) {
        for (const when of ['before', 'after'] as const) {
          const point = `VolumeExpansion:${step}:${when}`;
          // Each run waits for the Lease of the one killed before it to expire (15 s).
          controller = start({ DBOPS_CRASH_AT: point });
          const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 90_000));
          const how = await Promise.race([exited(controller), timeout]);
          if (how !== 'SIGKILL') controller.kill('SIGKILL');
          expect(how, point).toBe('SIGKILL');
          const op = (await store().load())?.operations['session-grow'];
          expect(op?.steps.filter((x) => x.name === step).at(-1)?.phase, point).toBe(
            when === 'before' ? 'Running' : 'Succeeded',
          );
        }
      }
      controller = start();
      const op = await finished('session-grow');
      expect(op.phase).toBe('Successful');
      const get = (what: string, path: string) =>
        cp.kubectl('get', what, '-n', ns, '-o', `jsonpath=${path}`);
      const bytes = (q: string) => {
        const parsed = parseQuantity(q);
        return parsed.ok ? parsed.bytes : NaN;
      };
      const claim = await get('pvc/data-session-0', '{.status.capacity.storage}');
      expect(bytes(claim)).toBe(2 * 1024 ** 3);
      const template = await get(
        'statefulset/session',
        '{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}',
      );
      expect(bytes(template)).toBe(2 * 1024 ** 3);
      const after = new Redis({ host: await podIP('session-0'), port: 6379, password: pass });
      try {
        for (let i = 0; i < 100; i++) expect(await after.get(`key${i}`)).toBe(String(i));
      } finally {
        after.disconnect();
      }
    });
  },
);
