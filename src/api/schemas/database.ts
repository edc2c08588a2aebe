/**
 * Raw schemas of the Redis and Postgres manifests, in the KubeDB v1 and v1alpha2 shapes.
 * They check structure and types only; defaults, units and conversions are the loader's job.
 */
import * as z from 'zod';
import { ignoredField, ignoring, manifest, quantity } from './common.js';

/** Upper bounds that keep member names within 63 characters (see maxDatabaseName in manifests/normalise-database.ts). */
export const limits = { maxShards: 100, maxReplicas: 10 } as const;

const count = (max: number) => z.number().int().min(1).max(max);
const cpuOrMemory = z.union([z.string(), z.number()]);
const resourceList = z.strictObject({
  cpu: cpuOrMemory.optional(),
  memory: quantity().optional(),
  'ephemeral-storage': ignoredField,
});
const resources = z.strictObject({
  requests: resourceList.optional(),
  limits: resourceList.optional(),
  claims: ignoredField,
});

// Loose objects: fields other than the ones listed are accepted with an "ignored" warning.
const container = z.looseObject({ name: z.string().optional(), resources: resources.optional() });
const stringMap = z.record(z.string(), z.string());
// Pod placement the Kubernetes runtime applies: the shapes here, the values the API server checks.
const kubeObject = z.record(z.string(), z.unknown());
const podSpec = (v1: boolean) =>
  z.looseObject({
    resources: resources.optional(),
    containers: z.array(container).optional(),
    nodeSelector: stringMap.optional(),
    tolerations: z
      .array(
        z.strictObject({
          key: z.string().optional(),
          operator: z.enum(['Exists', 'Equal']).optional(),
          value: z.string().optional(),
          effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
          tolerationSeconds: z.number().int().optional(),
        }),
      )
      .optional(),
    // KubeDB v1 has these in its PodPlacementPolicy objects instead.
    ...(v1
      ? {}
      : {
          affinity: kubeObject.optional(),
          topologySpreadConstraints: z.array(kubeObject).optional(),
        }),
    serviceAccountName: z.string().min(1).optional(),
    imagePullSecrets: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
    priorityClassName: z.string().min(1).optional(),
    schedulerName: z.string().min(1).optional(),
    runtimeClassName: z.string().min(1).optional(),
    terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  });
const objectMeta = z.strictObject({
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});
const podTemplate = (v1: boolean) =>
  z.strictObject({
    metadata: objectMeta.optional(),
    controller: objectMeta.optional(),
    spec: podSpec(v1).optional(),
  });

const storage = z.strictObject({
  storageClassName: z.string().optional(),
  resources: z
    .strictObject({
      requests: z.strictObject({ storage: quantity() }).optional(),
      limits: ignoredField,
    })
    .optional(),
  // Every KubeDB example sets accessModes (ReadWriteOnce, what dbops uses): accepted silently.
  accessModes: z.unknown().optional(),
  ...ignoring(['selector', 'volumeMode', 'volumeName', 'dataSource', 'dataSourceRef']),
});

const secretRef = z.strictObject({ name: z.string().min(1) });
const authSecret = z.strictObject({
  name: z.string().min(1),
  externallyManaged: z.boolean().optional(),
  ...ignoring(['activeFrom', 'rotateAfter']),
});

function configuration(file: 'redis.conf' | 'user.conf') {
  return z.strictObject({
    secretName: z.string().min(1).optional(),
    // valkey.conf: KubeDB's name of the same file for its valkey-* versions.
    inline: z
      .strictObject({
        [file]: z.string().optional(),
        ...(file === 'redis.conf' ? { 'valkey.conf': z.string().optional() } : {}),
      })
      .optional(),
  });
}

const commonIgnored = [
  'serviceTemplates',
  'monitor',
  'tls',
  'healthChecker',
  'autoOps',
  'allowedSchemas',
  'disableAuth',
  'archiver',
  'backup',
  'podPlacementPolicy',
];
const postgresIgnored = [
  'coordinator',
  'leaderElection',
  'clientAuthMode',
  'sslMode',
  'enforceGroup',
  'replication',
  'arbiter',
  'remoteReplica',
  'distributed',
];
const policy = z.enum(['Delete', 'Halt', 'WipeOut', 'DoNotTerminate']);

function common(file: 'redis.conf' | 'user.conf', v1: boolean) {
  return {
    version: z.string().min(1),
    storageType: z.enum(['Durable', 'Ephemeral']).optional(),
    storage: storage.optional(),
    configuration: configuration(file).optional(),
    configSecret: secretRef.optional(),
    authSecret: authSecret.optional(),
    halted: z.boolean().optional(),
    ...(v1 ? { deletionPolicy: policy.optional() } : { terminationPolicy: policy.optional() }),
    podTemplate: podTemplate(v1).optional(),
    ...ignoring(commonIgnored),
  };
}

const redisMode = z.enum(['Standalone', 'Cluster', 'Sentinel']);

function redis(apiVersion: string) {
  return manifest(
    apiVersion,
    'Redis',
    z.strictObject({
      ...common('redis.conf', true),
      mode: redisMode.optional(),
      replicas: z.number().int().min(1).optional(),
      cluster: z
        .strictObject({
          shards: count(limits.maxShards).optional(),
          replicas: count(limits.maxReplicas).optional(),
        })
        .optional(),
      sentinelRef: ignoredField,
      // Refused by name in the KubeDB fields table (no init scripts for Redis yet).
      init: ignoredField,
    }),
  );
}

/** Redis, `kubedb.com/v1`: `cluster.replicas` counts the master. */
export const redisV1 = redis('kubedb.com/v1');
/** Redis, `gitops.kubedb.com/v1alpha1`: KubeDB's GitOps kind, the spec of `kubedb.com/v1`. */
export const redisGitops = redis('gitops.kubedb.com/v1alpha1');

/** Redis, `kubedb.com/v1alpha2`: `cluster.master` shards, `cluster.replicas` not counting the master. */
export const redisV1alpha2 = manifest(
  'kubedb.com/v1alpha2',
  'Redis',
  z.strictObject({
    ...common('redis.conf', false),
    mode: redisMode.optional(),
    replicas: z.number().int().min(1).optional(),
    cluster: z
      .strictObject({
        master: count(limits.maxShards).optional(),
        replicas: z
          .number()
          .int()
          .min(0)
          .max(limits.maxReplicas - 1)
          .optional(),
      })
      .optional(),
    sentinelRef: ignoredField,
    init: ignoredField,
  }),
);

// KubeDB v1 only (apis/kubedb/v1 PostgresSynchronousReplicationSpec).
const synchronousReplicationConfig = z.strictObject({
  mode: z.enum(['Any', 'First']).optional(),
  numSyncReplicas: count(limits.maxReplicas - 1).optional(),
  commitLevel: z.enum(['On', 'RemoteApply', 'RemoteWrite', 'Local', 'Off']).optional(),
  standbyNames: z.array(z.string().min(1)).min(1).optional(),
  useWildcard: z.boolean().optional(),
});

// The script source dbops reads: a ConfigMap of the desired-state repository. Other sources
// (and waitForInitialRestore, archiver) are refused by name in the KubeDB fields table.
const postgresInit = z.strictObject({
  initialized: z.boolean().optional(),
  script: z
    .strictObject({ configMap: z.strictObject({ name: z.string().min(1) }).optional() })
    .optional(),
  ...ignoring(['waitForInitialRestore', 'archiver']),
});

function postgres(apiVersion: string, v1: boolean) {
  return manifest(
    apiVersion,
    'Postgres',
    z.strictObject({
      ...common('user.conf', v1),
      replicas: count(limits.maxReplicas).optional(),
      streamingMode: z.enum(['Synchronous', 'Asynchronous']).optional(),
      standbyMode: z.enum(['Hot', 'Warm']).optional(),
      init: postgresInit.optional(),
      ...(v1 ? { synchronousReplicationConfig: synchronousReplicationConfig.optional() } : {}),
      ...ignoring(postgresIgnored),
    }),
  );
}

/** Postgres, `kubedb.com/v1`: `replicas` = primary + standbys. */
export const postgresV1 = postgres('kubedb.com/v1', true);
/** Postgres, `gitops.kubedb.com/v1alpha1`: KubeDB's GitOps kind, the spec of `kubedb.com/v1`. */
export const postgresGitops = postgres('gitops.kubedb.com/v1alpha1', true);
/** Postgres, `kubedb.com/v1alpha2` (`terminationPolicy` instead of `deletionPolicy`). */
export const postgresV1alpha2 = postgres('kubedb.com/v1alpha2', false);

/** Raw Redis manifest, either version. */
export type RawRedis = z.infer<typeof redisV1> | z.infer<typeof redisV1alpha2>;
/** Raw Postgres manifest, either version. */
export type RawPostgres = z.infer<typeof postgresV1>;
