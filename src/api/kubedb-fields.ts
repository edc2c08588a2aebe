/**
 * KubeDB's known manifest fields and what dbops does with each, so that a message about a
 * field can tell a typo from a KubeDB feature dbops does not do yet.
 *
 * Written from KubeDB's API types, github.com/kubedb/apimachinery at commit
 * 104ef5739e1d7a54c0afb6c4c04700c04a3203c5 (apis/kubedb v1 and v1alpha2, apis/ops/v1alpha1,
 * apis/autoscaling/v1alpha1, apis/gitops/v1alpha1 whose Redis and Postgres embed the v1 spec),
 * and from the types they embed: kmodules offshoot-api v0.34.0 (the pod template: api/v2 for
 * v1, api/v1 for v1alpha2) and the Kubernetes core types as apimachinery's generated OpenAPI
 * lists them. Names are the JSON names. kubedb-fields.test.ts checks that every path dbops'
 * schemas accept is in the table, and which of them dbops accepts without doing what they ask.
 */
import type { ManifestKind } from './schemas/kinds.js';

/** What dbops does with a KubeDB field. */
export type Disposition = 'honoured' | 'kubernetesOnly' | 'sameAsDbops' | 'unsupported' | 'ignored';

/** An API version of Redis and Postgres: `v1` covers gitops.kubedb.com/v1alpha1 too. */
export type KubedbVersion = 'v1' | 'v1alpha2';

/** One known field of one or more kinds. */
export type KnownField = {
  readonly kinds: readonly ManifestKind[];
  /** Dotted, `[]` for list items, `["a.b"]` for keys that are not plain names. */
  readonly path: string;
  /** Only in these API versions of Redis and Postgres; absent: in every version. */
  readonly versions?: readonly KubedbVersion[];
  /** A value dbops does not look into: every path below it is this field too. */
  readonly subtree?: boolean;
} & (
  | { readonly disposition: 'honoured'; readonly where: string }
  | {
      readonly disposition: 'kubernetesOnly';
      readonly appliedByKubeRuntime: boolean;
      readonly note?: string;
    }
  /** `accepted`: the JSON values dbops behaves like; `otherwise`: the message for others. */
  | {
      readonly disposition: 'sameAsDbops';
      readonly accepted: readonly unknown[];
      readonly otherwise: string;
    }
  | { readonly disposition: 'unsupported'; readonly message: string }
  | { readonly disposition: 'ignored'; readonly note?: string }
);

type What = DistributiveOmit<KnownField, 'kinds' | 'path' | 'versions' | 'subtree'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const honoured = (where: string): What => ({ disposition: 'honoured', where });
const kube = (appliedByKubeRuntime: boolean, note?: string): What => ({
  disposition: 'kubernetesOnly',
  appliedByKubeRuntime,
  ...(note === undefined ? {} : { note }),
});
const same = (accepted: readonly unknown[], otherwise: string): What => ({
  disposition: 'sameAsDbops',
  accepted,
  otherwise,
});
const unsupported = (message: string): What => ({ disposition: 'unsupported', message });
const ignored = (note?: string): What => ({
  disposition: 'ignored',
  ...(note === undefined ? {} : { note }),
});

const redis = ['Redis'] as const;
const postgres = ['Postgres'] as const;
const databases = ['Redis', 'Postgres'] as const;
const redisOps = ['RedisOpsRequest'] as const;
const postgresOps = ['PostgresOpsRequest'] as const;
const ops = ['RedisOpsRequest', 'PostgresOpsRequest'] as const;
const autoscalers = ['RedisAutoscaler', 'PostgresAutoscaler'] as const;
const others = [...ops, ...autoscalers] as const;
const all = [...databases, ...others] as const;

// Notation of the lists below: `.*` at the end means the field and everything below it;
// `v1:` or `v1alpha2:` in front limits the field to that version of Redis and Postgres.
function on(kinds: readonly ManifestKind[], what: What, paths: readonly string[]): KnownField[] {
  return paths.map((written) => {
    const m = /^(?:(v1|v1alpha2):)?(.*?)(\.\*)?$/.exec(written)!;
    return {
      kinds,
      path: m[2]!,
      ...(m[1] ? { versions: [m[1] as KubedbVersion] } : {}),
      ...(m[3] ? { subtree: true } : {}),
      ...what,
    };
  });
}

/** The sources of a Kubernetes volume (core/v1 VolumeSource), as a script source may name them. */
const volumeSources = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

const msg = {
  virtualSecret:
    'Secrets from a secret store (virtual secrets) are not supported yet: keep the password in a Kubernetes Secret and name it in spec.authSecret.name',
  tls: 'TLS is not supported yet: remove spec.tls, or terminate TLS in front of the database',
  process:
    'Custom commands, arguments and environment for the server are not supported yet: put server settings in spec.configuration.inline',
  acl: 'Redis ACL users are not supported yet: remove the ACL section; clients log in with the password of spec.authSecret',
  sync: 'Changing the streaming mode in an OpsRequest is not supported yet: set spec.streamingMode in the Postgres manifest instead, and remove it here',
  warm: 'Changing the standby mode in an OpsRequest is not supported yet: set spec.standbyMode in the Postgres manifest when you create it, and remove it here',
  readReplicas:
    'Read replicas are not supported yet: remove readReplicas and add standbys with replicas',
  tuning:
    'Tuning profiles are not supported yet: remove the tuning section and set the parameters in the configuration',
  maxRetries:
    'A retry limit is not supported yet: remove maxRetries, and bound the operation with a timeout',
  arbiter: 'Arbiter pods are not supported yet: remove the arbiter fields',
  sentinel: 'Sentinel mode is not supported yet: use mode Standalone or Cluster',
};

const podTemplate = 'spec.podTemplate.spec';

/** The fields of a resources section at `base` (a container's, or v1alpha2's pod-level one). */
function resources(base: string, version: KubedbVersion): KnownField[] {
  const at = (rest: string[]) => rest.map((r) => `${version}:${base}${r}`);
  return [
    ...on(
      databases,
      kube(true, 'applied to the database container; no effect on the local runtime yet'),
      at([
        '',
        '.requests',
        '.limits',
        '.requests.cpu',
        '.requests.memory',
        '.limits.cpu',
        '.limits.memory',
      ]),
    ),
    ...on(
      databases,
      kube(false),
      at(['.requests.ephemeral-storage', '.limits.ephemeral-storage', '.claims.*']),
    ),
  ];
}

/** The fields of a storage autoscaling section at `base`. */
function storageSection(kinds: readonly ManifestKind[], base: string): KnownField[] {
  return [
    ...on(kinds, honoured("the section for the database's mode"), [base]),
    ...on(kinds, honoured('On lets the autoscaler write VolumeExpansions'), [`${base}.trigger`]),
    ...on(kinds, honoured('the used share that triggers an expansion (default 80)'), [
      `${base}.usageThreshold`,
    ]),
    ...on(kinds, honoured('how much a volume grows, in percent (default 50)'), [
      `${base}.scalingThreshold`,
    ]),
    ...on(kinds, honoured('growth by volume size, instead of scalingThreshold'), [
      `${base}.scalingRules`,
      `${base}.scalingRules[]`,
      `${base}.scalingRules[].appliesUpto`,
      `${base}.scalingRules[].threshold`,
    ]),
    ...on(kinds, honoured('volumes never grow beyond it'), [`${base}.upperBound`]),
    ...on(kinds, honoured('the mode of the VolumeExpansions it writes'), [`${base}.expansionMode`]),
  ];
}

const everyKind: KnownField[] = [
  ...on(all, honoured('places the document by kind and shape'), ['apiVersion', 'kind']),
  ...on(all, honoured('holds the fields below'), ['metadata', 'spec']),
  ...on(all, honoured('names the database, OpsRequest or autoscaler'), ['metadata.name']),
  ...on(all, kube(false, 'the Kubernetes runtime runs every database in its own namespace'), [
    'metadata.namespace',
  ]),
  ...on(databases, honoured('policies select databases by label'), ['metadata.labels.*']),
  ...on(others, ignored(), ['metadata.labels.*']),
  ...on(all, ignored('bookkeeping of the cluster an object was exported from'), [
    'metadata.annotations.*',
    'metadata.generateName',
    'metadata.selfLink',
    'metadata.uid',
    'metadata.resourceVersion',
    'metadata.generation',
    'metadata.creationTimestamp',
    'metadata.deletionTimestamp',
    'metadata.deletionGracePeriodSeconds',
    'metadata.ownerReferences.*',
    'metadata.finalizers.*',
    'metadata.managedFields.*',
    'status.*',
  ]),
];

const databaseFields: KnownField[] = [
  ...on(databases, honoured('the server version dbops runs'), ['spec.version']),
  ...on(
    databases,
    same(
      ['Durable'],
      'Ephemeral storage (lost when a member restarts) is not supported yet: use storageType Durable with spec.storage',
    ),
    ['spec.storageType'],
  ),
  ...on(databases, honoured('the volume of each member'), [
    'spec.storage',
    'spec.storage.resources',
    'spec.storage.resources.requests',
  ]),
  ...on(databases, honoured('the volume size; VolumeExpansion and the autoscaler raise it'), [
    'spec.storage.resources.requests.storage',
  ]),
  ...on(databases, kube(true, 'the StorageClass of the claims'), ['spec.storage.storageClassName']),
  ...on(databases, kube(false), [
    'spec.storage.selector.*',
    'spec.storage.volumeName',
    'spec.storage.volumeAttributesClassName',
  ]),
  ...on(
    databases,
    same(
      [['ReadWriteOnce']],
      'Each member has a volume of its own: use accessModes [ReadWriteOnce]',
    ),
    ['spec.storage.accessModes.*'],
  ),
  ...on(
    databases,
    same(['Filesystem'], 'Block volumes are not supported: use volumeMode Filesystem'),
    ['spec.storage.volumeMode'],
  ),
  ...on(databases, ignored('a claim storage limit; dbops sizes volumes by requests.storage'), [
    'spec.storage.resources.limits.*',
  ]),
  ...on(
    databases,
    unsupported(
      'Volumes filled from a snapshot or another claim are not supported yet: remove the data source, and load the data once the database is Ready',
    ),
    ['spec.storage.dataSource.*', 'spec.storage.dataSourceRef.*'],
  ),
  ...on(databases, honoured('the Secret of the admin password'), ['spec.authSecret']),
  ...on(
    databases,
    honoured(
      'the Secret the password is read from, created with a new one when missing (Kubernetes: in the namespace; local runtime: in the secrets dir)',
    ),
    ['spec.authSecret.name'],
  ),
  ...on(databases, same(['Secret'], msg.virtualSecret), ['spec.authSecret.kind']),
  ...on(databases, same([''], msg.virtualSecret), ['spec.authSecret.apiGroup']),
  ...on(databases, unsupported(msg.virtualSecret), ['spec.authSecret.secretStoreName']),
  ...on(databases, honoured('true: dbops waits for the Secret to exist instead of creating it'), [
    'spec.authSecret.externallyManaged',
  ]),
  ...on(databases, ignored("read by KubeDB's recommendation engine, which dbops does not have"), [
    'spec.authSecret.rotateAfter',
  ]),
  ...on(databases, ignored('set by KubeDB when it rotates the password'), [
    'spec.authSecret.activeFrom',
  ]),
  ...on(
    databases,
    same([false], 'A database without a password is not supported: remove spec.disableAuth'),
    ['spec.disableAuth'],
  ),
  ...on(databases, honoured('custom configuration, over dbops defaults'), [
    'v1:spec.configuration',
    'v1:spec.configuration.inline',
  ]),
  ...on(
    databases,
    honoured(
      "the Secret's redis.conf / user.conf, between dbops' defaults and inline (read by the runtime, never in Git)",
    ),
    ['v1:spec.configuration.secretName', 'spec.configSecret', 'spec.configSecret.name'],
  ),
  ...on(databases, honoured('stops the members; volumes and secrets stay'), ['spec.halted']),
  ...on(databases, honoured('what removing the database file does (DESIGN 8)'), [
    'v1:spec.deletionPolicy',
    'v1alpha2:spec.terminationPolicy',
  ]),
  ...on(
    databases,
    unsupported(
      'Monitoring agents are not supported yet: remove spec.monitor; dbops serves its own metrics at /metrics',
    ),
    ['spec.monitor.*'],
  ),
  ...on(databases, unsupported(msg.tls), ['spec.tls.*']),
  ...on(databases, kube(false, 'Services in front of the database'), ['spec.serviceTemplates.*']),
  ...on(redis, ignored('an empty init section does nothing'), ['spec.init']),
  ...on(redis, ignored('set by KubeDB once the database is initialised'), [
    'spec.init.initialized',
  ]),
  ...on(
    redis,
    unsupported(
      'Init scripts for Redis are not supported yet: remove spec.init.script, and load the data once the database is Ready',
    ),
    ['spec.init.script.*'],
  ),
  ...on(postgres, honoured('runs the scripts once, when the database is created'), ['spec.init']),
  ...on(postgres, honoured('true: the init scripts do not run (KubeDB sets it once they did)'), [
    'spec.init.initialized',
  ]),
  ...on(
    postgres,
    honoured(
      'the .sql files of a ConfigMap manifest in the desired-state repository, in one transaction, before the database is Ready; the result is the Initialized condition',
    ),
    ['spec.init.script', 'spec.init.script.configMap', 'spec.init.script.configMap.name'],
  ),
  ...on(
    postgres,
    unsupported(
      'Init scripts come from a ConfigMap only: put the .sql files in a ConfigMap manifest in the desired-state repository and name it in spec.init.script.configMap.name',
    ),
    [
      'spec.init.script.scriptPath',
      ...['git', ...volumeSources.filter((v) => v !== 'configMap')].map(
        (v) => `spec.init.script.${v}.*`,
      ),
      'spec.init.script.configMap.items.*',
      'spec.init.script.configMap.defaultMode',
      'spec.init.script.configMap.optional',
    ],
  ),
  ...on(
    databases,
    same(
      [false],
      'Waiting for an initial restore is not supported until dbops has backup and restore: remove it',
    ),
    ['spec.init.waitForInitialRestore'],
  ),
  ...on(
    databases,
    unsupported(
      'Point-in-time recovery is not supported until dbops has backup and restore: remove spec.init.archiver',
    ),
    ['spec.init.archiver.*'],
  ),
  ...on(databases, ignored("tunes KubeDB's health checker; dbops checks health itself"), [
    'spec.healthChecker.*',
  ]),
  ...on(databases, ignored("KubeDB's OpsRequest recommendations, which dbops does not make"), [
    'spec.autoOps.*',
  ]),
  ...on(databases, ignored('which KubeDB Schema objects may use the database; dbops has none'), [
    'spec.allowedSchemas.*',
  ]),
  ...on(databases, ignored("resources of KubeDB's coordinator sidecar; dbops runs none"), [
    'v1alpha2:spec.coordinator.*',
  ]),
];

const podTemplateFields: KnownField[] = [
  ...on(
    databases,
    kube(true, 'the database container resources and the placement fields below are applied'),
    ['spec.podTemplate', podTemplate],
  ),
  ...on(databases, kube(true, 'labels and annotations of the pods'), [
    'spec.podTemplate.metadata',
    'spec.podTemplate.metadata.labels.*',
    'spec.podTemplate.metadata.annotations.*',
  ]),
  ...on(databases, kube(true, 'labels and annotations of the StatefulSets'), [
    'spec.podTemplate.controller',
    'spec.podTemplate.controller.labels.*',
    'spec.podTemplate.controller.annotations.*',
  ]),
  ...on(
    databases,
    kube(true, 'set on the pods; running pods take it at their next restart'),
    [
      'terminationGracePeriodSeconds',
      'nodeSelector.*',
      'serviceAccountName',
      'imagePullSecrets.*',
      'schedulerName',
      'tolerations.*',
      'priorityClassName',
      'runtimeClassName',
      'v1alpha2:affinity.*',
      'v1alpha2:topologySpreadConstraints.*',
    ].map((p) => p.replace(/^(v1alpha2:|v1:)?/, `$1${podTemplate}.`)),
  ),
  ...on(
    databases,
    kube(false),
    [
      'volumes.*',
      'initContainers.*',
      'dnsPolicy',
      'hostNetwork',
      'hostPID',
      'hostIPC',
      'shareProcessNamespace',
      'securityContext.*',
      'priority',
      'dnsConfig.*',
      'enableServiceLinks',
      'podPlacementPolicy.*',
      'v1:ephemeralContainers.*',
      'v1:activeDeadlineSeconds',
      'v1:automountServiceAccountToken',
      'v1:nodeName',
      'v1:hostAliases.*',
      'v1:readinessGates.*',
      'v1:preemptionPolicy',
      'v1:overhead.*',
      'v1:setHostnameAsFQDN',
      'v1:os.*',
      'v1:hostUsers',
      'v1alpha2:livenessProbe.*',
      'v1alpha2:readinessProbe.*',
      'v1alpha2:lifecycle.*',
      'v1alpha2:containerSecurityContext.*',
      'v1alpha2:volumeMounts.*',
    ].map((p) => p.replace(/^(v1alpha2:|v1:)?/, `$1${podTemplate}.`)),
  ),
  ...on(databases, same(['Always'], 'Database pods always restart: remove restartPolicy'), [
    `v1:${podTemplate}.restartPolicy`,
  ]),
  ...on(databases, unsupported(msg.process), [
    `v1alpha2:${podTemplate}.args.*`,
    `v1alpha2:${podTemplate}.env.*`,
  ]),
  ...resources(`${podTemplate}.resources`, 'v1alpha2'),
  ...on(
    databases,
    kube(true, 'the container named redis or postgres (or the only one) is the database container'),
    [`v1:${podTemplate}.containers`, `v1:${podTemplate}.containers[]`],
  ),
  ...on(databases, kube(true, 'picks the database container: redis or postgres'), [
    `v1:${podTemplate}.containers[].name`,
  ]),
  ...resources(`${podTemplate}.containers[].resources`, 'v1'),
  ...on(
    databases,
    unsupported(
      'Choosing the image in the podTemplate is not supported yet: remove it; dbops runs the image of spec.version',
    ),
    [`v1:${podTemplate}.containers[].image`],
  ),
  ...on(
    databases,
    unsupported(msg.process),
    ['command.*', 'args.*', 'env.*', 'envFrom.*', 'workingDir'].map(
      (f) => `v1:${podTemplate}.containers[].${f}`,
    ),
  ),
  ...on(
    databases,
    kube(false),
    [
      'ports.*',
      'volumeMounts.*',
      'volumeDevices.*',
      'livenessProbe.*',
      'readinessProbe.*',
      'startupProbe.*',
      'lifecycle.*',
      'securityContext.*',
      'imagePullPolicy',
      'resizePolicy.*',
      'restartPolicy',
      'restartPolicyRules.*',
      'terminationMessagePath',
      'terminationMessagePolicy',
      'stdin',
      'stdinOnce',
      'tty',
    ].map((f) => `v1:${podTemplate}.containers[].${f}`),
  ),
];

const redisFields: KnownField[] = [
  ...on(redis, honoured('Standalone or Cluster; Sentinel is refused'), ['spec.mode']),
  ...on(redis, honoured('Standalone: 1 only; ignored in Cluster mode'), ['spec.replicas']),
  ...on(redis, honoured('the Redis Cluster topology'), ['spec.cluster']),
  ...on(redis, honoured('the number of shards'), [
    'v1:spec.cluster.shards',
    'v1alpha2:spec.cluster.master',
  ]),
  ...on(redis, honoured('members per shard: v1 counts the master, v1alpha2 does not'), [
    'spec.cluster.replicas',
  ]),
  ...on(
    redis,
    unsupported(
      'Announcing external addresses for the cluster members is not supported yet: remove spec.cluster.announce; each member announces its own address',
    ),
    ['spec.cluster.announce.*'],
  ),
  ...on(redis, unsupported(msg.sentinel), ['spec.sentinelRef.*']),
  ...on(redis, unsupported(msg.acl), ['v1:spec.acl.*', 'v1:spec.configuration.acl.*']),
  ...on(redis, honoured('merged over dbops defaults; unsafe directives are refused'), [
    'v1:spec.configuration.inline["redis.conf"]',
  ]),
  ...on(redis, honoured('the same directives as redis.conf (for valkey-* versions)'), [
    'v1:spec.configuration.inline["valkey.conf"]',
  ]),
];

const postgresFields: KnownField[] = [
  ...on(postgres, honoured('the primary plus streaming standbys'), ['spec.replicas']),
  ...on(
    postgres,
    same(
      ['Standalone', 'Cluster'],
      'RemoteReplica mode (a Postgres that replicates another database) is not supported yet: use mode Standalone or Cluster only if an independent primary is what you want',
    ),
    ['spec.mode'],
  ),
  ...on(
    postgres,
    unsupported(
      'A Postgres that replicates another database is not supported yet: remove spec.remoteReplica only if an independent primary is what you want',
    ),
    ['spec.remoteReplica.*'],
  ),
  ...on(
    postgres,
    honoured(
      'Warm: hot_standby off on every member, so standbys take no connections, not even reads; Hot (the default): standbys serve reads',
    ),
    ['spec.standbyMode'],
  ),
  ...on(
    postgres,
    honoured(
      "Synchronous: synchronous_standby_names and synchronous_commit on every member; the ReplicationHealthy condition and each standby's sync state show whether commits can return",
    ),
    ['spec.streamingMode'],
  ),
  ...on(postgres, honoured("with KubeDB's defaults: Any, 1, RemoteWrite, every member"), [
    'v1:spec.synchronousReplicationConfig',
    'v1:spec.synchronousReplicationConfig.mode',
    'v1:spec.synchronousReplicationConfig.numSyncReplicas',
    'v1:spec.synchronousReplicationConfig.commitLevel',
    'v1:spec.synchronousReplicationConfig.standbyNames',
    'v1:spec.synchronousReplicationConfig.standbyNames[]',
    'v1:spec.synchronousReplicationConfig.useWildcard',
  ]),
  ...on(
    postgres,
    same(
      ['md5', 'scram'],
      'Client certificates need TLS, which is not supported yet: use clientAuthMode scram',
    ),
    ['spec.clientAuthMode'],
  ),
  ...on(
    postgres,
    same(
      ['disable'],
      'TLS is not supported yet: use sslMode disable, or remove it, and terminate TLS in front of the database',
    ),
    ['spec.sslMode'],
  ),
  ...on(postgres, ignored("tunes KubeDB's coordinator, which dbops does not run"), [
    'spec.leaderElection.*',
  ]),
  ...on(postgres, kube(false, 'a permission-fixing init container; dbops sets fsGroup itself'), [
    'spec.enforceFsGroup',
  ]),
  ...on(postgres, unsupported(msg.arbiter), ['spec.arbiter.*']),
  ...on(
    postgres,
    unsupported(
      'WAL retention settings are not applied yet: remove spec.replication, and set wal_keep_size or max_slot_wal_keep_size in the configuration',
    ),
    ['spec.replication.*'],
  ),
  ...on(postgres, unsupported(msg.readReplicas), ['v1:spec.readReplicas.*']),
  ...on(
    postgres,
    unsupported(
      'Continuous archiving and point-in-time recovery are not supported yet: remove spec.archiver',
    ),
    ['spec.archiver.*'],
  ),
  ...on(
    postgres,
    same([false], 'A Postgres spread over several clusters is not supported: remove it'),
    ['v1:spec.distributed'],
  ),
  ...on(postgres, honoured('merged over dbops defaults; unsafe settings are refused'), [
    'v1:spec.configuration.inline["user.conf"]',
  ]),
  ...on(postgres, unsupported(msg.tuning), ['v1:spec.configuration.tuning.*']),
];

const opsFields: KnownField[] = [
  ...on(ops, honoured('the database the operation is for'), [
    'spec.databaseRef',
    'spec.databaseRef.name',
  ]),
  ...on(redisOps, honoured('VolumeExpansion, Reconfigure and Restart run; others are refused'), [
    'spec.type',
  ]),
  ...on(
    postgresOps,
    honoured('VolumeExpansion, Reconfigure, Restart and HorizontalScaling run; others are refused'),
    ['spec.type'],
  ),
  ...on(ops, honoured('raises the volume size; nothing shrinks'), ['spec.volumeExpansion']),
  ...on(ops, honoured('Online grows volumes under running servers; Offline stops each first'), [
    'spec.volumeExpansion.mode',
  ]),
  ...on(redisOps, honoured('the new size of each volume'), ['spec.volumeExpansion.redis']),
  ...on(postgresOps, honoured('the new size of each volume'), ['spec.volumeExpansion.postgres']),
  ...on(postgresOps, unsupported(msg.arbiter), ['spec.volumeExpansion.arbiter']),
  ...on(ops, honoured("overlays the database's configuration, in file order"), [
    'spec.configuration',
    'spec.configuration.applyConfig',
  ]),
  ...on(redisOps, honoured('merged key by key; unsafe directives are refused'), [
    'spec.configuration.applyConfig["redis.conf"]',
  ]),
  ...on(redisOps, honoured('the same directives as redis.conf (for valkey-* versions)'), [
    'spec.configuration.applyConfig["valkey.conf"]',
  ]),
  ...on(postgresOps, honoured('merged key by key; unsafe settings are refused'), [
    'spec.configuration.applyConfig["user.conf"]',
  ]),
  ...on(ops, honoured('drops the custom configuration layer'), [
    'spec.configuration.removeCustomConfig',
  ]),
  ...on(ops, honoured('whether the members restart (auto: when a setting needs it)'), [
    'spec.configuration.restart',
  ]),
  ...on(
    ops,
    unsupported(
      'Reconfiguring from a Secret is not supported yet: put the settings in spec.configuration.applyConfig',
    ),
    ['spec.configuration.configSecret.*'],
  ),
  ...on(redisOps, unsupported(msg.acl), ['spec.configuration.auth.*']),
  ...on(postgresOps, unsupported(msg.tuning), ['spec.configuration.tuning.*']),
  ...on(
    redisOps,
    unsupported(
      'HorizontalScaling of a Redis database is not supported yet: remove this OpsRequest; the database keeps its shards and replicas',
    ),
    ['spec.horizontalScaling.*'],
  ),
  ...on(postgresOps, honoured('sets the number of members (primary plus standbys)'), [
    'spec.horizontalScaling',
    'spec.horizontalScaling.replicas',
  ]),
  // Any value: the operation cannot tell whether it matches the database's mode.
  ...on(postgresOps, unsupported(msg.warm), ['spec.horizontalScaling.standbyMode']),
  ...on(postgresOps, unsupported(msg.sync), ['spec.horizontalScaling.streamingMode']),
  ...on(postgresOps, unsupported(msg.readReplicas), ['spec.horizontalScaling.readReplicas.*']),
  ...on(ops, ignored('the empty section of type Restart'), ['spec.restart.*']),
  ...on(ops, honoured('the operation fails when it runs longer'), ['spec.timeout']),
  ...on(ops, honoured('IfReady waits for a Ready database; Always does not'), ['spec.apply']),
  ...on(ops, unsupported(msg.maxRetries), ['spec.maxRetries']),
  ...on(
    ops,
    unsupported(
      'UpdateVersion is not supported yet: dbops cannot change the version of a running database; remove this OpsRequest',
    ),
    ['spec.updateVersion.*'],
  ),
  ...on(
    ops,
    unsupported(
      "VerticalScaling is not supported yet: remove this OpsRequest, and set the resources in the database's spec.podTemplate",
    ),
    ['spec.verticalScaling.*'],
  ),
  ...on(
    ops,
    unsupported('ReconfigureTLS is not supported yet (dbops has no TLS): remove this OpsRequest'),
    ['spec.tls.*'],
  ),
  ...on(ops, unsupported('RotateAuth is not supported yet: remove this OpsRequest'), [
    'spec.authentication.*',
  ]),
  ...on(ops, unsupported('StorageMigration is not supported yet: remove this OpsRequest'), [
    'spec.migration.*',
  ]),
  ...on(
    redisOps,
    unsupported(
      'Announce is not supported yet: remove this OpsRequest; each member announces its own address',
    ),
    ['spec.announce.*'],
  ),
  ...on(
    redisOps,
    unsupported(
      'ReplaceSentinel is not supported yet (dbops has no Sentinel mode): remove this OpsRequest',
    ),
    ['spec.sentinel.*'],
  ),
  ...on(postgresOps, unsupported('ReconnectStandby is not supported yet: remove this OpsRequest'), [
    'spec.reconnectStandby.*',
  ]),
  ...on(postgresOps, unsupported('ForceFailOver is not supported yet: remove this OpsRequest'), [
    'spec.forceFailOver.*',
  ]),
  ...on(
    postgresOps,
    unsupported(
      "SetRaftKeyPair is for KubeDB's Raft coordinator, which dbops does not run: remove this OpsRequest",
    ),
    ['spec.setRaftKeyPair.*'],
  ),
];

const autoscalerFields: KnownField[] = [
  ...on(autoscalers, honoured('the database the autoscaler watches'), [
    'spec.databaseRef',
    'spec.databaseRef.name',
  ]),
  ...on(autoscalers, honoured('storage autoscaling'), ['spec.storage']),
  ...storageSection(['RedisAutoscaler'], 'spec.storage.standalone'),
  ...storageSection(['RedisAutoscaler'], 'spec.storage.cluster'),
  ...on(
    ['RedisAutoscaler'],
    unsupported('Sentinel mode is not supported yet: use storage.standalone or storage.cluster'),
    ['spec.storage.sentinel.*'],
  ),
  ...storageSection(['PostgresAutoscaler'], 'spec.storage.postgres'),
  ...on(
    autoscalers,
    unsupported(
      'Compute autoscaling is not supported yet: remove spec.compute; dbops autoscales storage only',
    ),
    ['spec.compute.*'],
  ),
  ...on(autoscalers, honoured('options of the OpsRequests it writes'), [
    'spec.opsRequestOptions',
    'spec.opsRequestOptions.timeout',
    'spec.opsRequestOptions.apply',
  ]),
  ...on(autoscalers, unsupported(msg.maxRetries), ['spec.opsRequestOptions.maxRetries']),
];

/** Every known field, by kind family. */
export const kubedbFields: readonly KnownField[] = [
  ...everyKind,
  ...databaseFields,
  ...podTemplateFields,
  ...redisFields,
  ...postgresFields,
  ...opsFields,
  ...autoscalerFields,
];

/** KubeDB's operation types of each OpsRequest kind (dbops runs a few of them). */
export const kubedbOpsTypes = {
  RedisOpsRequest: [
    'UpdateVersion',
    'HorizontalScaling',
    'VerticalScaling',
    'VolumeExpansion',
    'Restart',
    'Reconfigure',
    'ReconfigureTLS',
    'ReplaceSentinel',
    'RotateAuth',
    'Announce',
    'StorageMigration',
  ],
  PostgresOpsRequest: [
    'UpdateVersion',
    'HorizontalScaling',
    'VerticalScaling',
    'VolumeExpansion',
    'Restart',
    'Reconfigure',
    'ReconfigureTLS',
    'RotateAuth',
    'ReconnectStandby',
    'ForceFailOver',
    'SetRaftKeyPair',
    'StorageMigration',
  ],
} as const satisfies Record<'RedisOpsRequest' | 'PostgresOpsRequest', readonly string[]>;

/** The version tag of a Redis or Postgres apiVersion; undefined for any other. */
export function kubedbVersionOf(apiVersion: string): KubedbVersion | undefined {
  if (apiVersion === 'kubedb.com/v1' || apiVersion === 'gitops.kubedb.com/v1alpha1') return 'v1';
  return apiVersion === 'kubedb.com/v1alpha2' ? 'v1alpha2' : undefined;
}

const plainKey = /^[A-Za-z_][\w-]*$/;

/**
 * The path as the table writes it: list indices become `[]`. Takes a dotted path
 * (`spec.containers[2].resources`) or path segments; undefined when the text is not a path.
 */
export function canonicalPath(path: string | readonly (string | number)[]): string | undefined {
  const segments = typeof path === 'string' ? parse(path) : path.map((s) => s);
  if (segments === undefined) return undefined;
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number' || seg === '[]') out += '[]';
    else if (plainKey.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function parse(text: string): (string | number)[] | undefined {
  const token = /\.?([A-Za-z_][\w-]*)|\[(\d*)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  const out: (string | number)[] = [];
  while (token.lastIndex < text.length) {
    const at = token.lastIndex;
    const m = token.exec(text);
    // A name follows a dot, except the first one.
    if (!m || (m[1] !== undefined && (at === 0) === text.startsWith('.', at))) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push('[]');
    else out.push(JSON.parse(m[3]!) as string);
  }
  return out;
}

const index = new Map<string, KnownField[]>();
for (const field of kubedbFields) {
  for (const kind of field.kinds) {
    const key = `${kind} ${field.path}`;
    index.set(key, [...(index.get(key) ?? []), field]);
  }
}

/**
 * The table's entry for `path` of a `kind` document: the field itself, else the nearest
 * ancestor that covers everything below it. With `apiVersion`, only fields of that version
 * of Redis or Postgres. Undefined for a typo, a field of another kind or version, or a path
 * that is not a path.
 */
export function knownField(
  kind: ManifestKind,
  path: string | readonly (string | number)[],
  apiVersion?: string,
): KnownField | undefined {
  const canonical = canonicalPath(path);
  if (canonical === undefined || canonical === '') return undefined;
  const version = apiVersion === undefined ? undefined : kubedbVersionOf(apiVersion);
  const fits = (f: KnownField) => !version || !f.versions || f.versions.includes(version);
  const exact = index.get(`${kind} ${canonical}`)?.find(fits);
  if (exact) return exact;
  for (let end = canonical.length - 1; end > 0; end--) {
    const c = canonical[end];
    if (c !== '.' && c !== '[') continue;
    const above = index
      .get(`${kind} ${canonical.slice(0, end)}`)
      ?.find((f) => f.subtree && fits(f));
    if (above) return above;
  }
  return undefined;
}

/** True when `field` is `sameAsDbops` and `value` is one of the values dbops behaves like. */
export function isSameAsDbops(field: KnownField | undefined, value: unknown): boolean {
  if (field?.disposition !== 'sameAsDbops') return false;
  const text = JSON.stringify(value);
  return field.accepted.some((a) => JSON.stringify(a) === text);
}
