import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DatabaseSpec } from '../../src/api/desired.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { Applier } from '../../src/runtime/kubernetes/apply.js';
import { loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { authSecret, databaseObjects } from '../../src/runtime/kubernetes/objects.js';
import { startControlPlane, type ControlPlane } from '../helpers/kube-control-plane.js';
import { postgresSpec, redisSpec } from '../runtime/specs.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const ns = 'dbops-objects';

type Obj = {
  kind: string;
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller: boolean }[];
    managedFields?: { manager: string; operation: string }[];
  };
  spec?: Record<string, unknown>;
};

// The objects of three databases, applied with server-side apply and read back with a real
// kubectl: what a cluster accepts and keeps, before the runtime drives them.
describe.skipIf(!bin)(
  `database objects on a real API server${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let cp: ControlPlane;
    let applier: Applier;
    const specs: DatabaseSpec[] = [
      redisSpec('cache'),
      redisSpec('sessions', { mode: 'Cluster', shards: 3, replicas: 2 }),
      postgresSpec('orders', { replicas: 2 }),
    ];
    const get = async (what: string, selector = 'app.kubernetes.io/managed-by=dbops') =>
      (
        JSON.parse(
          await cp.kubectl(
            'get',
            what,
            '-n',
            ns,
            '-l',
            selector,
            '-o',
            'json',
            '--show-managed-fields',
          ),
        ) as {
          items: Obj[];
        }
      ).items;
    const applyAll = async (spec: DatabaseSpec) => {
      const owner = await applier.root(spec, ns);
      await applier.apply(authSecret(spec, ns, owner, { username: 'default', password: 'pw-1' }));
      for (const o of databaseObjects({ spec, namespace: ns, owner, password: 'pw-1' }))
        await applier.apply(o);
      return owner;
    };

    beforeAll(async () => {
      cp = await startControlPlane(bin);
      await cp.kubectl('create', 'namespace', ns);
      applier = new Applier(loadKubeConfig({ kubeconfig: cp.kubeconfig }).config);
    });
    afterAll(() => cp?.stop());

    it('creates exactly the expected objects, labelled, owned by each database root, under the dbops field manager', async () => {
      const roots = new Map<string, string>();
      for (const spec of specs) roots.set(spec.name, (await applyAll(spec)).uid);
      const all = await get('configmaps,secrets,services,statefulsets,poddisruptionbudgets');
      const names = all.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(names).toEqual(
        [
          'ConfigMap/cache-dbops',
          'Secret/cache-auth',
          'Secret/cache-config',
          'Service/cache-pods',
          'Service/cache',
          'StatefulSet/cache',
          'ConfigMap/sessions-dbops',
          'Secret/sessions-auth',
          'Secret/sessions-config',
          'Service/sessions-pods',
          'Service/sessions',
          'StatefulSet/sessions-shard0',
          'StatefulSet/sessions-shard1',
          'StatefulSet/sessions-shard2',
          'PodDisruptionBudget/sessions',
          'ConfigMap/orders-dbops',
          'Secret/orders-auth',
          'Secret/orders-config',
          'Service/orders-pods',
          'Service/orders',
          'StatefulSet/orders',
          'PodDisruptionBudget/orders',
        ].sort(),
      );
      for (const o of all) {
        const db = o.metadata.labels!['app.kubernetes.io/instance']!;
        expect(o.metadata.managedFields?.map((f) => `${f.manager}:${f.operation}`)).toContain(
          'dbops:Apply',
        );
        if (o.kind === 'ConfigMap') continue;
        expect(o.metadata.ownerReferences).toEqual([
          expect.objectContaining({
            kind: 'ConfigMap',
            name: `${db}-dbops`,
            uid: roots.get(db),
            controller: true,
          }),
        ]);
      }
      const sts = await get('statefulset', 'app.kubernetes.io/instance=sessions');
      const claim = (
        sts[0]!.spec as {
          volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[];
        }
      ).volumeClaimTemplates[0]!;
      expect(claim.spec.resources.requests.storage).toBe(String(1024 ** 3));
      const probe = await cp.kubectl(
        'get',
        'statefulset',
        'orders',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].readinessProbe.exec.command[2]}',
      );
      expect(probe).toContain('pg_isready');
    });

    it('applies again without change: the same objects, no new generation', async () => {
      const before = await get('statefulsets');
      for (const spec of specs) await applyAll(spec);
      const after = await get('statefulsets');
      const gen = (xs: Obj[]) =>
        xs.map((o) => [o.metadata.name, (o.metadata as { generation?: number }).generation]);
      expect(gen(after)).toEqual(gen(before));
    });

    it("carries the pod template's placement, identity, labels and annotations, as the API server keeps them", async () => {
      const tolerations = [
        { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
      ];
      await applyAll({
        ...redisSpec('placed'),
        pod: {
          labels: { team: 'data' },
          annotations: { 'example.com/owner': 'ada' },
          controllerAnnotations: { 'example.com/rollout': 'manual' },
          nodeSelector: { disk: 'ssd' },
          tolerations,
          serviceAccountName: 'placed',
          imagePullSecrets: [{ name: 'registry' }],
          terminationGracePeriodSeconds: 90,
        },
      });
      const [sts] = await get('statefulsets', 'app.kubernetes.io/instance=placed');
      const spec = sts!.spec as {
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
          spec: Record<string, unknown>;
        };
      };
      expect((sts!.metadata as { annotations?: Record<string, string> }).annotations).toMatchObject(
        { 'example.com/rollout': 'manual' },
      );
      expect(spec.template.metadata.labels).toMatchObject({
        team: 'data',
        'app.kubernetes.io/instance': 'placed',
      });
      expect(spec.template.metadata.annotations).toEqual({ 'example.com/owner': 'ada' });
      expect(spec.template.spec).toMatchObject({
        nodeSelector: { disk: 'ssd' },
        tolerations,
        serviceAccountName: 'placed',
        imagePullSecrets: [{ name: 'registry' }],
        terminationGracePeriodSeconds: 90,
      });
    });

    it('deleting a root lets the garbage collector take the rest of that database, and keeps its volume claims', async () => {
      // The StatefulSet controller made a claim per pod; nothing binds them here, which is fine.
      await waitFor(
        systemClock,
        'the claim of cache-0',
        async () =>
          (await get('pvc', 'app.kubernetes.io/instance=cache')).length === 1 ? true : undefined,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      await cp.kubectl('delete', 'configmap', 'cache-dbops', '-n', ns);
      await waitFor(
        systemClock,
        'the objects of cache to be collected',
        async () =>
          (await get('secrets,services,statefulsets', 'app.kubernetes.io/instance=cache'))
            .length === 0
            ? true
            : undefined,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(
        (await get('pvc', 'app.kubernetes.io/instance=cache')).map((o) => o.metadata.name),
      ).toEqual(['data-cache-0']);
      expect((await get('statefulsets', 'app.kubernetes.io/instance=orders')).length).toBe(1);
    });
  },
);
