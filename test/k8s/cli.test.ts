// `dbops run --runtime kubernetes` and the read-only commands against the same cluster, as
// real child processes. The pods run no server (kwok), so the databases never become Ready
// here: what is tried is the composition (Lease, state ConfigMap, objects, credentials).
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { exited } from '../helpers/crash-runner.js';
import { runDbops, spawnDbops } from '../helpers/cli-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
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

const cache = `apiVersion: kubedb.com/v1
kind: Redis
metadata:
  name: cache
spec:
  version: 7.0.15
  storage:
    storageClassName: expandable
    resources:
      requests:
        storage: 1Gi
`;

describe.skipIf(!bin)(`dbops --runtime kubernetes${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let fx: GitFixture;
  let driver: { stop(): void } | undefined;
  const controllers: ChildProcess[] = [];
  const flags = () => ['--runtime', 'kubernetes', '--kubeconfig', cp.kubeconfig, '--namespace', ns];
  const holder = () =>
    cp
      .kubectl(
        'get',
        'lease',
        'dbops-controller',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.holderIdentity}',
      )
      .catch(() => '');
  const start = (name: string, env: NodeJS.ProcessEnv = {}) => {
    const c = spawnDbops(
      ['run', '--repo', fx.url, ...flags(), '--interval', '1h', '--state-dir', join(fx.root, name)],
      { POD_NAME: name, ...env },
    );
    controllers.push(c);
    return c;
  };

  beforeAll(async () => {
    cp = await startControlPlane(bin);
    await cp.apply(`${namespace(ns)}---\n${storageClass('expandable', true)}`);
    driver = playStorageDriver(cp.kubeconfig, ns);
    fx = await startGitFixture('kube-cli', { 'databases/cache.yaml': cache });
  });
  afterAll(async () => {
    for (const c of controllers) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    driver?.stop();
    await fx?.cleanup();
    await cp?.stop();
  });

  it('runs against the cluster: takes the Lease, creates the database objects, keeps its state in a ConfigMap', async () => {
    start('controller-a');
    await waitFor(
      systemClock,
      'the StatefulSet of cache and the state ConfigMap',
      async () => {
        const objs = await cp.kubectl('get', 'statefulset,configmap', '-n', ns, '-o', 'name');
        return objs.includes('statefulset.apps/cache') && objs.includes('configmap/dbops-state')
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(await holder()).toMatch(/^controller-a-[0-9a-f]{6}$/);
  });

  it('dbops status and credentials read the same cluster with the same flags', async () => {
    const status = await runDbops(['status', ...flags(), '--output', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const doc = JSON.parse(status.stdout) as { runtime: string; databases: { name: string }[] };
    expect(doc.runtime).toBe('kubernetes');
    expect(doc.databases.map((d) => d.name)).toEqual(['cache']);
    const creds = await runDbops(['credentials', 'cache', ...flags()]);
    expect(creds.code, creds.stderr).toBe(0);
    const secret = await cp.kubectl(
      'get',
      'secret',
      'cache-auth',
      '-n',
      ns,
      '-o',
      'jsonpath={.data.password}',
    );
    const password = Buffer.from(secret, 'base64').toString();
    expect(creds.stdout.trim()).toMatch(
      new RegExp(`^redis://default:${encodeURIComponent(password)}@`),
    );
  });

  it('a second controller stands by, and takes over at once when the leader stops', async () => {
    const b = start('controller-b', { DBOPS_LOG_LEVEL: 'info' });
    let logs = '';
    b.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
    const leader = controllers[0]!;
    const first = await holder();
    await waitFor(
      systemClock,
      'controller-b to find the Lease held and stand by',
      () => (logs.includes('standing by: another controller leads') ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await holder()).toBe(first);
    expect(logs).not.toMatch(/"msg":"leading"/);
    leader.kill('SIGTERM');
    await exited(leader);
    await waitFor(
      systemClock,
      'controller-b to hold the Lease',
      async () => ((await holder()).startsWith('controller-b-') ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await waitFor(
      systemClock,
      'controller-b to say it leads',
      () => (/"msg":"leading"/.test(logs) ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it.each([
    [['status', '--kubeconfig', 'x'], 2, /--kubeconfig applies to the Kubernetes runtime only/],
    [
      ['status', '--runtime', 'kubernetes', '--namespace', 'Not_A_Name'],
      2,
      /--namespace 'Not_A_Name' is not valid/,
    ],
    [
      ['status', '--runtime', 'kubernetes', '--kubeconfig', '/nonexistent/kubeconfig'],
      1,
      /kubeconfig \/nonexistent\/kubeconfig does not exist/,
    ],
    [
      ['status', '--runtime', 'kubernetes', '--kubeconfig', 'KUBECONFIG', '--context', 'nope'],
      1,
      /has no context 'nope'.*contexts there: test/s,
    ],
  ])('refuses %j clearly (exit %i)', async (args, code, message) => {
    const argv = args.map((a) => (a === 'KUBECONFIG' ? cp.kubeconfig : a));
    const r = await runDbops(argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});
