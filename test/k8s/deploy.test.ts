// deploy/ against the real API server: a server-side dry run of the kustomize base, the
// ServiceAccount's permissions as `kubectl auth can-i --list` shows them, and the runtime's
// calls made with that ServiceAccount's own token (the least privilege is also enough).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { KubeRuntime } from '../../src/runtime/kubernetes/kube-runtime.js';
import { leaseLock } from '../../src/runtime/kubernetes/lease-lock.js';
import { configMapStateStore } from '../../src/runtime/kubernetes/state-store.js';
import { emptyState } from '../../src/reconcile/store.js';
import {
  playStorageDriver,
  startControlPlane,
  storageClass,
  type ControlPlane,
} from '../helpers/kube-control-plane.js';
import { untilDone } from '../runtime/helpers.js';
import { memberProber } from '../../src/main.js';
import { runContainers } from '../helpers/kube-containers.js';
import { redisSpec } from '../runtime/specs.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const deployDir = fileURLToPath(new URL('../../deploy/', import.meta.url));
const ns = 'dbops-system';
const sa = `system:serviceaccount:${ns}:dbops`;

describe.skipIf(!bin)(`deploy/ on a real API server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(bin);
  });
  afterAll(() => cp?.stop());

  it('passes a server-side dry run (the namespace created first, as a dry run cannot)', async () => {
    await cp.kubectl('create', 'namespace', ns);
    const out = await cp.kubectl('apply', '--dry-run=server', '-k', deployDir);
    for (const o of [
      'serviceaccount/dbops',
      'role.rbac.authorization.k8s.io/dbops',
      'clusterrole.rbac.authorization.k8s.io/dbops-storageclass-reader',
      'deployment.apps/dbops',
      'service/dbops',
      'configmap/dbops-config',
    ]) {
      expect(out).toContain(o);
    }
    await cp.kubectl('apply', '-k', deployDir);
    expect(
      await cp.kubectl('get', 'deployment', 'dbops', '-n', ns, '-o', 'jsonpath={.spec.replicas}'),
    ).toBe('2');
  });

  it('grants the ServiceAccount exactly what the controller uses, and no more', async () => {
    const list = await cp.kubectl('auth', 'can-i', '--list', `--as=${sa}`, '-n', ns);
    const rows = list
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s{2,}/))
      .filter((r) => r[0] && !r[0].startsWith('selfsubject'))
      // What every authenticated identity may do (discovery, self reviews) is not ours.
      .filter((r) => !['', '[]'].includes(r[0]!) && r[1] === '[]' && r[2] === '[]')
      .map((r) => `${r[0]} ${r[3]}`)
      .sort();
    expect(rows).toEqual(
      [
        'configmaps [get list watch create update patch delete]',
        'events [create]',
        'leases.coordination.k8s.io [get create update]',
        'persistentvolumeclaims [get list watch patch deletecollection]',
        'poddisruptionbudgets.policy [get list watch create patch]',
        'pods [get list watch delete]',
        'secrets [get list watch create patch]',
        'services [get list watch create patch]',
        'statefulsets.apps [get list watch create patch delete]',
        'storageclasses.storage.k8s.io [get]',
      ].sort(),
    );
    for (const [verb, what] of [
      ['delete', 'secrets'],
      ['create', 'pods'],
      ['get', 'nodes'],
      ['create', 'clusterroles'],
    ]) {
      expect(
        await cp
          .kubectl('auth', 'can-i', verb!, what!, `--as=${sa}`, '-n', ns)
          .catch((e: { stdout?: string }) => e.stdout ?? ''),
      ).toMatch(/^no/);
    }
  });

  it('is enough: the runtime, the Lease and the state store work with the ServiceAccount token', async () => {
    await cp.apply(storageClass('expandable', true));
    const token = (await cp.kubectl('create', 'token', 'dbops', '-n', ns)).trim();
    const kubeconfig = join(cp.dir, 'sa-kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: test, cluster: { server: ${cp.server}, certificate-authority: ${join(cp.dir, 'ca.crt')} } }]
users: [{ name: dbops, user: { token: ${token} } }]
contexts: [{ name: dbops, context: { cluster: test, user: dbops, namespace: ${ns} } }]
current-context: dbops
`,
      { mode: 0o600 },
    );
    const driver = playStorageDriver(cp.kubeconfig, ns);
    const containers = await runContainers(cp.kubeconfig, ns);
    try {
      const { config, namespace } = loadKubeConfig({ kubeconfig });
      expect(namespace).toBe(ns);
      const apis = kubeApis(config);
      const held = await leaseLock({
        api: apis.coordination,
        namespace,
        name: 'dbops-controller',
        identity: 'sa-test',
        clock: systemClock,
        log: silentLogger(),
      }).acquire();
      const store = configMapStateStore({ api: apis.core, namespace });
      await store.save(emptyState('test', 'kubernetes'));
      expect(await store.load()).toMatchObject({ runtime: 'kubernetes' });
      // As in the cluster: the pods' addresses, no port-forward (the Role grants none).
      const rt = new KubeRuntime({
        config,
        namespace,
        clock: systemClock,
        log: silentLogger(),
        reach: 'pod',
        prober: memberProber,
        // As the controller runs: its informers list and watch with the token too.
        cache: true,
      });
      const spec = redisSpec('least', { storageClassName: 'expandable' });
      await untilDone('least Ready', () => rt.ensureMembers(spec, topology(spec)));
      await untilDone('least-0 grown', () =>
        rt.expandVolume('least', 'least-0', 2 * 1024 ** 3, 'Online'),
      );
      await untilDone('least claim template', () =>
        rt.finishVolumeExpansion('least', 2 * 1024 ** 3),
      );
      await rt.restartMember('least', 'least-0');
      // Events are best effort in the runtime, so check here that the Role lets it write them.
      const reasons = await cp.kubectl(
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=data-least-0',
        '-o',
        'jsonpath={.items[*].reason}',
      );
      expect(reasons).toContain('VolumeExpansion');
      expect(await rt.list()).toEqual(['least']);
      await rt.wipe('least');
      await rt.close();
      await held.release();
    } finally {
      await containers.stop();
      driver.stop();
    }
  });
});
