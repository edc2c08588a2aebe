import { describe, expect, it } from 'vitest';
import type { DatabaseSpec, PostgresSpec, RedisSpec } from '../../api/desired.js';
import {
  databaseObjects,
  defaultImage,
  ownedBy,
  rootObject,
  statefulSetNames,
  type KubeObject,
} from './objects.js';

const common = {
  storageType: 'Durable' as const,
  storageBytes: 2 * 1024 ** 3,
  config: {},
  halted: false,
  deletionPolicy: 'Delete' as const,
};
const redis = (over: Partial<RedisSpec> = {}): RedisSpec => ({
  ...common,
  kind: 'Redis',
  name: 'cache',
  version: '7.0.15',
  mode: 'Standalone',
  shards: 1,
  replicas: 1,
  ...over,
});
const pg = (over: Partial<PostgresSpec> = {}): PostgresSpec => ({
  ...common,
  kind: 'Postgres',
  name: 'orders',
  version: '16.4',
  replicas: 2,
  ...over,
});
const owner = (spec: DatabaseSpec) => ownedBy(spec, '00000000-0000-0000-0000-000000000001');
const objects = (spec: DatabaseSpec) =>
  databaseObjects({ spec, namespace: 'prod', owner: owner(spec), password: 's3cret' });
const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
type Sts = {
  spec: {
    replicas: number;
    serviceName: string;
    template: { spec: { containers: { args: string[]; image: string }[] } };
    volumeClaimTemplates: {
      spec: { storageClassName?: string; resources: { requests: { storage: string } } };
    }[];
  };
};

describe('the objects of a database', () => {
  it.each([
    ['a standalone Redis', redis(), ['cache'], [1], false],
    [
      'a Redis Cluster of 3 shards x 2',
      redis({ name: 'sessions', mode: 'Cluster', shards: 3, replicas: 2 }),
      ['sessions-shard0', 'sessions-shard1', 'sessions-shard2'],
      [2, 2, 2],
      true,
    ],
    ['a Postgres with a standby', pg(), ['orders'], [2], true],
    ['a halted Postgres (scaled to zero, kept)', pg({ halted: true }), ['orders'], [0], true],
  ])(
    '%s: StatefulSets, replicas, a disruption budget when it has several members',
    (_n, spec, sets, replicas, pdb) => {
      const objs = objects(spec);
      expect(statefulSetNames(spec)).toEqual(sets);
      const sts = byKind(objs, 'StatefulSet');
      expect(sts.map((s) => s.metadata.name)).toEqual(sets);
      expect(sts.map((s) => (s as unknown as Sts).spec.replicas)).toEqual(replicas);
      expect(byKind(objs, 'PodDisruptionBudget').length).toBe(pdb ? 1 : 0);
      for (const o of objs) {
        expect(o.metadata.namespace).toBe('prod');
        expect(o.metadata.ownerReferences).toEqual([owner(spec)]);
        expect(o.metadata.labels).toMatchObject({
          'app.kubernetes.io/instance': spec.name,
          'app.kubernetes.io/managed-by': 'dbops',
          'app.kubernetes.io/name': spec.kind.toLowerCase(),
        });
      }
      const services = byKind(objs, 'Service').map((s) => s.metadata.name);
      expect(services).toEqual([`${spec.name}-pods`, spec.name]);
      for (const s of sts) expect((s as unknown as Sts).spec.serviceName).toBe(`${spec.name}-pods`);
    },
  );

  it('claims the spec size in bytes, on the spec storage class when it names one', () => {
    const [a] = byKind(objects(redis()), 'StatefulSet') as unknown as Sts[];
    const [b] = byKind(
      objects(redis({ storageClassName: 'fast' })),
      'StatefulSet',
    ) as unknown as Sts[];
    expect(a!.spec.volumeClaimTemplates[0]!.spec).not.toHaveProperty('storageClassName');
    expect(a!.spec.volumeClaimTemplates[0]!.spec.resources.requests.storage).toBe(
      String(2 * 1024 ** 3),
    );
    expect(b!.spec.volumeClaimTemplates[0]!.spec.storageClassName).toBe('fast');
  });

  it('gives a cluster member its own announced address on the command line, not in the shared file', () => {
    const objs = objects(redis({ name: 'sessions', mode: 'Cluster', shards: 3, replicas: 2 }));
    const conf = (byKind(objs, 'Secret')[0] as unknown as { stringData: Record<string, string> })
      .stringData['redis.conf']!;
    expect(conf).toContain('cluster-enabled yes');
    expect(conf).toContain('requirepass s3cret');
    expect(conf).not.toContain('cluster-announce-ip');
    const c = (byKind(objs, 'StatefulSet')[0] as unknown as Sts).spec.template.spec.containers[0]!;
    expect(c.args).toEqual([
      '/etc/dbops/redis.conf',
      '--cluster-announce-ip',
      '$(POD_IP)',
      '--cluster-announce-port',
      '6379',
      '--cluster-announce-bus-port',
      '16379',
    ]);
    expect(c.image).toBe('redis:7.0.15');
  });

  it('points the Postgres client Service at the primary only', () => {
    const client = byKind(objects(pg()), 'Service').find(
      (s) => s.metadata.name === 'orders',
    ) as unknown as { spec: { selector: Record<string, string> } };
    expect(client.spec.selector['dbops.dev/role']).toBe('primary');
  });

  it('records the applied spec in the root ConfigMap, the owner of the rest', () => {
    const root = rootObject(pg(), 'prod') as unknown as {
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(root.metadata.name).toBe('orders-dbops');
    expect(JSON.parse(root.data['spec.json']!)).toEqual(pg());
  });
});

describe('defaultImage', () => {
  it.each([
    [redis(), 'redis:7.0.15'],
    [redis({ version: 'valkey-8.1.1' }), 'valkey/valkey:8.1.1'],
    [pg(), 'postgres:16.4'],
  ])('%#: %s', (spec, image) => {
    expect(defaultImage(spec)).toBe(image);
  });
});

describe('pod settings from the pod template', () => {
  type Pod = {
    metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    controller: { labels: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };
  const podOf = (spec: DatabaseSpec): Pod => {
    const sts = byKind(objects(spec), 'StatefulSet')[0]!;
    const t = (sts.spec as { template: { metadata: Pod['metadata']; spec: Pod['spec'] } }).template;
    return {
      metadata: t.metadata,
      controller: sts.metadata as Pod['controller'],
      spec: t.spec,
    };
  };

  it('applies placement, identity, labels and annotations; dbops labels win', () => {
    const tolerations = [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }];
    const p = podOf(
      redis({
        pod: {
          labels: { team: 'data', 'app.kubernetes.io/instance': 'other' },
          annotations: { 'example.com/owner': 'ada' },
          controllerLabels: { tier: 'cache' },
          controllerAnnotations: { 'example.com/rollout': 'manual' },
          nodeSelector: { disk: 'ssd' },
          tolerations,
          serviceAccountName: 'cache',
          imagePullSecrets: [{ name: 'registry' }],
          priorityClassName: 'high',
          terminationGracePeriodSeconds: 90,
        },
      }),
    );
    expect(p.metadata.labels.team).toBe('data');
    expect(p.metadata.labels['app.kubernetes.io/instance']).toBe('cache');
    expect(p.metadata.annotations).toEqual({ 'example.com/owner': 'ada' });
    expect(p.controller.labels.tier).toBe('cache');
    expect(p.controller.annotations).toEqual({ 'example.com/rollout': 'manual' });
    expect(p.spec).toMatchObject({
      nodeSelector: { disk: 'ssd' },
      tolerations,
      serviceAccountName: 'cache',
      imagePullSecrets: [{ name: 'registry' }],
      priorityClassName: 'high',
      terminationGracePeriodSeconds: 90,
      securityContext: { fsGroup: 999 },
    });
  });

  it('leaves the pod as dbops makes it without them', () => {
    const p = podOf(pg());
    expect(p.metadata.annotations).toBeUndefined();
    expect(p.controller.annotations).toBeUndefined();
    expect(p.spec.nodeSelector).toBeUndefined();
    expect(p.spec.terminationGracePeriodSeconds).toBe(30);
  });
});
