/**
 * The vocabulary of the desired state: what the manifests of a revision mean once parsed,
 * validated, normalised and folded. No I/O here. Sizes are bytes as safe integers.
 */

/** Database kinds dbops manages. */
export type DatabaseKind = 'Redis' | 'Postgres';
/** Redis topologies; Sentinel is rejected at validation for now. */
export type RedisMode = 'Standalone' | 'Cluster';
/** What happens to data when a database's manifest is removed (KubeDB semantics). */
export type DeletionPolicy = 'Delete' | 'Halt' | 'WipeOut' | 'DoNotTerminate';
/** Durable: data on a volume; Ephemeral: data discarded with the member. */
export type StorageType = 'Durable' | 'Ephemeral';

/** Where a value came from: the file (and line) in the repository, and the commit. */
export interface Origin {
  file: string;
  line?: number;
  /** Commit that last changed this file, when known (filled by the source). */
  commit?: string;
}

/** CPU and memory requests/limits as written (runtimes that cannot enforce them ignore them). */
export interface Resources {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

/** Fields every database has, normalised. */
export interface CommonSpec {
  name: string;
  version: string;
  storageType: StorageType;
  /** Requested volume size per member, in bytes. */
  storageBytes: number;
  storageClassName?: string;
  /**
   * Custom configuration as ordered key/value pairs (redis.conf directives or postgresql
   * settings), already checked against injection. Empty when none.
   */
  config: Record<string, string>;
  /**
   * A Secret whose `redis.conf` / `user.conf` lies between dbops' defaults and `config`
   * (configuration.secretName, or v1alpha2 configSecret.name); read by the runtime, never in Git.
   */
  configSecretName?: string;
  /** The Secret of the admin password: read when it exists, else created there with a new one. */
  authSecretName?: string;
  /** authSecret.externallyManaged: its owner creates the Secret; dbops waits for it. */
  authSecretExternal?: boolean;
  halted: boolean;
  deletionPolicy: DeletionPolicy;
  resources?: Resources;
  /** Pod placement and identity from the pod template: applied by the Kubernetes runtime. */
  pod?: PodSettings;
}

/** The fields of PodSettings that are pod spec fields of the same name. */
export const podSpecFields = [
  'nodeSelector',
  'tolerations',
  'affinity',
  'topologySpreadConstraints',
  'serviceAccountName',
  'imagePullSecrets',
  'priorityClassName',
  'schedulerName',
  'runtimeClassName',
  'terminationGracePeriodSeconds',
] as const satisfies readonly (keyof PodSettings)[];

/**
 * The pod template's fields the Kubernetes runtime applies besides resources, as written
 * (Kubernetes core/v1 shapes; the API server checks them when the StatefulSet is applied).
 */
export interface PodSettings {
  /** Pod labels and annotations (dbops' own labels win over a label of the same name). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** StatefulSet labels and annotations (podTemplate.controller). */
  controllerLabels?: Record<string, string>;
  controllerAnnotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Record<string, unknown>[];
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  priorityClassName?: string;
  schedulerName?: string;
  runtimeClassName?: string;
  terminationGracePeriodSeconds?: number;
}

/** A Redis database; `replicas` counts the master (KubeDB v1 `cluster.replicas`). */
export interface RedisSpec extends CommonSpec {
  kind: 'Redis';
  mode: RedisMode;
  /** Number of shards; 1 for Standalone. */
  shards: number;
  /** Members per shard, the master included; 1 for Standalone. */
  replicas: number;
}

/** A Postgres database; `replicas` = primary + standbys. */
export interface PostgresSpec extends CommonSpec {
  kind: 'Postgres';
  replicas: number;
  /** streamingMode: Synchronous; absent: standbys stream asynchronously. */
  synchronous?: SynchronousReplication;
  /**
   * standbyMode: Warm: standbys run with hot_standby off and take no connections (not even a
   * read); absent: Hot, standbys serve reads.
   */
  warmStandbys?: true;
  /**
   * spec.init: the ConfigMap of the repository whose .sql files run once, when the database
   * is created; `initialized` (KubeDB sets it once done): they do not run.
   */
  init?: { configMap?: string; initialized: boolean };
}

/** The init scripts of a database: the .sql files of its ConfigMap, in key order. */
export interface InitScripts {
  configMap: string;
  /** The ConfigMap's manifest. */
  origin: Origin;
  files: { key: string; sql: string }[];
  /** sha256 over the keys and contents: a script fixed after a failure runs again. */
  digest: string;
}

/**
 * Synchronous replication as KubeDB's `synchronousReplicationConfig` describes it, defaults
 * filled in (Any, 1, RemoteWrite): commits wait for `count` standbys.
 */
export interface SynchronousReplication {
  /** Any: a quorum of `count` of the standbys; First: the first `count` connected, in order. */
  method: 'Any' | 'First';
  count: number;
  /** Postgres' synchronous_commit: what a standby must have done before a commit returns. */
  commitLevel: 'On' | 'RemoteApply' | 'RemoteWrite' | 'Local' | 'Off';
  /** Member names that count, in priority order; '*' any standby; absent: every member. */
  standbyNames?: string[] | '*';
}

/** A normalised database spec. */
export type DatabaseSpec = RedisSpec | PostgresSpec;

/** Operation types an OpsRequest may carry. */
export type OpsType =
  | 'VolumeExpansion'
  | 'Reconfigure'
  | 'Restart'
  | 'HorizontalScaling'
  | 'VerticalScaling'
  | 'UpdateVersion';

/** A validated OpsRequest. `digest` is the sha256 of its normalised content (immutability). */
export interface OpsRequest {
  kind: 'RedisOpsRequest' | 'PostgresOpsRequest';
  name: string;
  database: string;
  type: OpsType;
  origin: Origin;
  digest: string;
  volumeExpansion?: { mode: 'Online' | 'Offline'; bytes: number };
  configuration?: {
    applyConfig: Record<string, string>;
    removeCustomConfig: boolean;
    restart: 'auto' | 'true' | 'false';
  };
  horizontalScaling?: { shards?: number; replicas?: number };
  /** Per-step timeout in milliseconds, when given. */
  timeoutMs?: number;
  apply: 'IfReady' | 'Always';
}

/** One storage scaling rule: up to `appliesUptoBytes` (null = no bound) grow by `threshold`. */
export interface ScalingRule {
  appliesUptoBytes: number | null;
  /** Either a percentage (e.g. 50) or an absolute number of bytes. */
  threshold: { percent: number } | { bytes: number };
}

/** A validated autoscaler. */
export interface Autoscaler {
  kind: 'RedisAutoscaler' | 'PostgresAutoscaler';
  name: string;
  database: string;
  origin: Origin;
  storage: {
    trigger: boolean;
    /** Percent of the volume used that triggers an expansion (default 80). */
    usageThreshold: number;
    /** Percent to grow by when no rule applies (default 50). */
    scalingThreshold: number;
    scalingRules: ScalingRule[];
    upperBoundBytes?: number;
    expansionMode: 'Online' | 'Offline';
  };
  opsRequestOptions: { timeoutMs?: number; apply: 'IfReady' | 'Always' };
}

/** Field paths of the effective spec mapped to where their value came from. */
export type Provenance = Record<string, Origin>;

/** A database's desired state: its spec folded with its OpsRequests (DESIGN §2). */
export interface EffectiveDatabase {
  spec: DatabaseSpec;
  /** The spec file as written, before folding. */
  base: DatabaseSpec;
  origin: Origin;
  provenance: Provenance;
  /** OpsRequests that refer to this database, in the order of their file paths. */
  ops: OpsRequest[];
  autoscalers: Autoscaler[];
  /** Non-fatal notes from the fold, e.g. an expansion below the current size. */
  notes: string[];
  /** The spec file's metadata.labels (policies select databases by them). */
  labels: Record<string, string>;
  /** The scripts spec.init.script names (Postgres), read from the repository. */
  initScripts?: InitScripts;
}
