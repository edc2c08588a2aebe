import { describe, expect, it } from 'vitest';
import { postgresDoc, redisDoc, withField, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';

const load = (...docs: unknown[]) =>
  loadDesiredState({ revision: 'r1', files: [yamlFile('databases/db.yaml', ...docs)] });

describe('valid databases', () => {
  it.each([
    [
      'Redis standalone defaults',
      redisDoc('cache'),
      {
        kind: 'Redis',
        mode: 'Standalone',
        shards: 1,
        replicas: 1,
        storageBytes: 2 ** 30,
        storageType: 'Durable',
        deletionPolicy: 'Delete',
        halted: false,
        config: {},
      },
    ],
    [
      'Redis cluster defaults',
      redisDoc('cache', { mode: 'Cluster' }),
      { mode: 'Cluster', shards: 3, replicas: 2 },
    ],
    [
      'Redis cluster v1 counts the master',
      redisDoc('cache', { mode: 'Cluster', cluster: { shards: 4, replicas: 3 } }),
      { shards: 4, replicas: 3 },
    ],
    [
      'Redis v1alpha2 converted',
      {
        ...redisDoc('cache', {
          mode: 'Cluster',
          cluster: { master: 5, replicas: 1 },
          terminationPolicy: 'WipeOut',
        }),
        apiVersion: 'kubedb.com/v1alpha2',
      },
      { shards: 5, replicas: 2, deletionPolicy: 'WipeOut' },
    ],
    [
      'Redis v1alpha2 cluster defaults',
      { ...redisDoc('cache', { mode: 'Cluster' }), apiVersion: 'kubedb.com/v1alpha2' },
      { shards: 3, replicas: 2 },
    ],
    [
      'Postgres defaults',
      postgresDoc('pg'),
      { kind: 'Postgres', replicas: 1, storageBytes: 2 ** 30 },
    ],
    [
      'Postgres with everything',
      postgresDoc('pg', {
        replicas: 3,
        storageType: 'Durable',
        storage: { storageClassName: 'fast', resources: { requests: { storage: '1536Mi' } } },
        configuration: {
          inline: { 'user.conf': "max_connections = 200\nshared_buffers = '256MB'\n" },
        },
        authSecret: { name: 'pg-auth' },
        halted: true,
        deletionPolicy: 'DoNotTerminate',
        podTemplate: {
          spec: {
            containers: [
              {
                name: 'postgres',
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
              },
            ],
          },
        },
      }),
      {
        replicas: 3,
        storageBytes: 1536 * 2 ** 20,
        storageClassName: 'fast',
        config: { max_connections: '200', shared_buffers: '256MB' },
        authSecretName: 'pg-auth',
        halted: true,
        deletionPolicy: 'DoNotTerminate',
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
      },
    ],
    [
      "authSecret as KubeDB's typed reference to a Kubernetes Secret",
      redisDoc('cache', {
        authSecret: { kind: 'Secret', apiGroup: '', name: 'cache-auth', externallyManaged: false },
      }),
      { authSecretName: 'cache-auth' },
    ],
    [
      'pod-level resources',
      redisDoc('cache', { podTemplate: { spec: { resources: { limits: { cpu: 1 } } } } }),
      { resources: { limits: { cpu: '1' } } },
    ],
    [
      'pod placement, identity, labels and annotations from the pod template',
      redisDoc('cache', {
        podTemplate: {
          metadata: { labels: { team: 'data' } },
          controller: { annotations: { a: 'b' } },
          spec: {
            nodeSelector: { disk: 'ssd' },
            tolerations: [{ key: 'k', operator: 'Exists' }],
            serviceAccountName: 'cache',
            resources: { limits: { memory: '1Gi' } },
          },
        },
      }),
      {
        resources: { limits: { memory: '1Gi' } },
        pod: {
          labels: { team: 'data' },
          controllerAnnotations: { a: 'b' },
          nodeSelector: { disk: 'ssd' },
          tolerations: [{ key: 'k', operator: 'Exists' }],
          serviceAccountName: 'cache',
        },
      },
    ],
    [
      'size as a plain number',
      redisDoc('cache', { storage: { resources: { requests: { storage: 1073741824 } } } }),
      { storageBytes: 2 ** 30 },
    ],
    [
      'Redis inline config',
      redisDoc('cache', {
        configuration: {
          inline: { 'redis.conf': 'maxmemory 100mb\nmaxmemory-policy allkeys-lru' },
        },
      }),
      { config: { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' } },
    ],
  ])('%s', (_title, doc, expected) => {
    const s = load(doc);
    expect(s.errors).toEqual([]);
    expect(s.incomplete).toBe(false);
    const [db] = [...s.databases.values()];
    expect(db?.spec).toMatchObject(expected);
    expect(db?.base).toEqual(db?.spec);
  });

  it('warns about KubeDB fields that only mean something on Kubernetes, which dbops does not apply yet', () => {
    const doc = withField(
      redisDoc('cache', {
        serviceTemplates: [],
        podTemplate: { spec: { nodeSelector: { a: 'b' }, hostNetwork: true } },
      }),
      'metadata.labels',
      { team: 'a' },
    );
    const s = load(doc);
    expect(s.errors).toEqual([]);
    expect(s.warnings.map((w) => w.field)).toEqual([
      'spec.serviceTemplates',
      'spec.podTemplate.spec.hostNetwork',
    ]);
    expect(s.warnings[0]).toMatchObject({
      message: expect.stringMatching(
        /^only has a meaning on Kubernetes, and dbops does not apply it there yet/,
      ) as unknown,
      database: 'cache',
    });
  });

  it.each([
    ['Redis', redisDoc('cache', { mode: 'Cluster', cluster: { shards: 4, replicas: 3 } })],
    ['Postgres', postgresDoc('orders', { replicas: 3 })],
  ])('reads KubeDB GitOps kinds (gitops.kubedb.com/v1alpha1) as kubedb.com/v1: %s', (_, doc) => {
    const v1 = load(doc);
    const gitops = load(withField(doc, 'apiVersion', 'gitops.kubedb.com/v1alpha1'));
    expect(gitops.errors).toEqual([]);
    expect(gitops.warnings).toEqual([]);
    expect([...gitops.databases.values()][0]?.spec).toEqual([...v1.databases.values()][0]?.spec);
  });

  it('validates an object exported with kubectl get -o yaml: metadata bookkeeping and status, silently', () => {
    const doc = {
      ...withField(
        withField(
          redisDoc('cache'),
          'metadata.selfLink',
          '/apis/kubedb.com/v1/namespaces/d/redises/cache',
        ),
        'metadata.managedFields',
        [{ manager: 'kubectl' }],
      ),
      status: { phase: 'Ready', observedGeneration: 3, conditions: [] },
    };
    const s = load(
      withField(withField(doc, 'metadata.uid', 'x'), 'metadata.resourceVersion', '42'),
    );
    expect(s.errors).toEqual([]);
    expect(s.warnings).toEqual([]);
    expect(s.databases.has('cache')).toBe(true);
  });

  it('warns about a Redis Cluster with fewer than 3 shards', () => {
    const s = load(redisDoc('cache', { mode: 'Cluster', cluster: { shards: 1, replicas: 1 } }));
    expect(s.errors).toEqual([]);
    expect(s.databases.get('cache')?.spec).toMatchObject({ shards: 1, replicas: 1 });
    expect(s.warnings[0]).toMatchObject({
      field: 'spec.cluster.shards',
      message: expect.stringMatching(/at least 3 masters/) as unknown,
    });
  });
});
