/**
 * A corpus of manifests in KubeDB's shapes (written for dbops, after the documented examples),
 * each validated alone with the verdict it must get: valid, valid with a warning on a field,
 * or refused naming the field. Nothing may pass silently that changes how a database behaves.
 */
import { describe, expect, it } from 'vitest';
import { textFile } from './fixtures.js';
import { loadDesiredState } from './load.js';

type Verdict =
  | { valid: true; warnings?: string[] }
  | { valid: false; field: string; message: RegExp; also?: string[] };

const redis = (spec: string, head = 'apiVersion: kubedb.com/v1\nkind: Redis') =>
  `${head}\nmetadata:\n  name: cache\nspec:\n  version: "7.0"\n  storage:\n    storageClassName: standard\n    accessModes: [ReadWriteOnce]\n    resources:\n      requests:\n        storage: 1Gi\n${spec}`;
const postgres = (spec: string) =>
  `apiVersion: kubedb.com/v1\nkind: Postgres\nmetadata:\n  name: pg\nspec:\n  version: "15"\n  replicas: 3\n  storage:\n    resources:\n      requests:\n        storage: 1Gi\n${spec}`;
const pgInit = (data: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pg-init\ndata:\n${data}`;
const redisOps = (spec: string) =>
  `apiVersion: ops.kubedb.com/v1alpha1\nkind: RedisOpsRequest\nmetadata:\n  name: op\nspec:\n  databaseRef:\n    name: cache\n${spec}`;
const pgOps = (spec: string) =>
  `apiVersion: ops.kubedb.com/v1alpha1\nkind: PostgresOpsRequest\nmetadata:\n  name: op\nspec:\n  databaseRef:\n    name: pg\n${spec}`;

const corpus: { name: string; doc: string; verdict: Verdict }[] = [
  {
    name: 'a Redis as the docs write it',
    doc: redis('  deletionPolicy: Halt\n'),
    verdict: { valid: true },
  },
  {
    name: "KubeDB's GitOps kind",
    doc: redis('', 'apiVersion: gitops.kubedb.com/v1alpha1\nkind: Redis'),
    verdict: { valid: true },
  },
  {
    name: 'exported with kubectl get -o yaml',
    doc: `${redis('')}status:\n  phase: Ready\n  observedGeneration: 2\n`.replace(
      '  name: cache\n',
      '  name: cache\n  uid: 1a2b\n  resourceVersion: "991"\n  generation: 2\n  creationTimestamp: "2026-01-01T00:00:00Z"\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'a namespace (the Kubernetes runtime uses its own)',
    doc: redis('').replace('  name: cache\n', '  name: cache\n  namespace: demo\n'),
    verdict: { valid: true, warnings: ['metadata.namespace'] },
  },
  {
    name: 'authSecret as a typed reference',
    doc: redis('  authSecret:\n    kind: Secret\n    apiGroup: ""\n    name: cache-auth\n'),
    verdict: { valid: true },
  },
  {
    name: 'an externally managed authSecret (dbops waits for it)',
    doc: redis('  authSecret:\n    name: cache-auth\n    externallyManaged: true\n'),
    verdict: { valid: true },
  },
  {
    name: 'configuration from a Secret, with inline settings over it',
    doc: redis(
      '  configuration:\n    secretName: cache-config\n    inline:\n      redis.conf: |\n        hz 20\n',
    ),
    verdict: { valid: true },
  },
  {
    name: "v1alpha2's configSecret",
    doc: postgres('  configSecret:\n    name: pg-config\n').replace(
      'kubedb.com/v1\n',
      'kubedb.com/v1alpha2\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'a virtual secret',
    doc: redis('  authSecret:\n    apiGroup: virtual-secrets.dev\n    name: cache-auth\n'),
    verdict: { valid: false, field: 'spec.authSecret.apiGroup', message: /virtual secrets/ },
  },
  {
    name: 'TLS',
    doc: redis(
      '  tls:\n    issuerRef:\n      apiGroup: cert-manager.io\n      kind: Issuer\n      name: ca\n',
    ),
    verdict: { valid: false, field: 'spec.tls', message: /^TLS is not supported yet/ },
  },
  {
    name: 'a monitoring agent',
    doc: redis('  monitor:\n    agent: prometheus.io/operator\n'),
    verdict: {
      valid: false,
      field: 'spec.monitor',
      message: /Monitoring agents are not supported yet/,
    },
  },
  {
    name: 'an init script from a ConfigMap of the repository',
    doc: `${postgres('  init:\n    script:\n      configMap:\n        name: pg-init\n')}---\n${pgInit('  init.sql: CREATE TABLE t (v int);\n')}`,
    verdict: { valid: true },
  },
  {
    name: 'an init script whose ConfigMap is not in the repository',
    doc: postgres('  init:\n    script:\n      configMap:\n        name: pg-init\n'),
    verdict: {
      valid: false,
      field: 'spec.init.script.configMap.name',
      message: /no ConfigMap named "pg-init" in this revision.*kubectl create configmap pg-init/,
    },
  },
  {
    name: 'an init script that is a shell script',
    doc: `${postgres('  init:\n    script:\n      configMap:\n        name: pg-init\n')}---\n${pgInit('  init.sh: psql -c "select 1"\n')}`,
    verdict: {
      valid: false,
      field: 'data["init.sh"]',
      message: /is a shell script: dbops runs init scripts over a database connection/,
    },
  },
  {
    name: 'an exported database that KubeDB initialised (initialized: true, no ConfigMap needed)',
    doc: postgres(
      '  init:\n    initialized: true\n    script:\n      configMap:\n        name: pg-init\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'an init script from a Secret volume',
    doc: postgres('  init:\n    script:\n      secret:\n        secretName: pg-init\n'),
    verdict: {
      valid: false,
      field: 'spec.init.script.secret',
      message: /Init scripts come from a ConfigMap only/,
    },
  },
  {
    name: 'an init script for Redis',
    doc: redis(
      '  init:\n    script:\n      projected:\n        sources:\n          - configMap:\n              name: redis-init\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.init.script',
      message: /Init scripts for Redis are not supported yet/,
    },
  },
  {
    name: 'standbys as dbops runs them',
    doc: postgres('  standbyMode: Hot\n  streamingMode: Asynchronous\n'),
    verdict: { valid: true },
  },
  {
    name: 'synchronous replication with the defaults',
    doc: postgres('  streamingMode: Synchronous\n'),
    verdict: { valid: true },
  },
  {
    name: 'synchronous replication, a quorum of named standbys',
    doc: postgres(
      '  streamingMode: Synchronous\n  synchronousReplicationConfig:\n    mode: First\n    numSyncReplicas: 2\n    commitLevel: RemoteApply\n    standbyNames: [pg-2, pg-1]\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'synchronous replication waiting for more standbys than there are',
    doc: postgres(
      '  streamingMode: Synchronous\n  synchronousReplicationConfig:\n    numSyncReplicas: 3\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.synchronousReplicationConfig.numSyncReplicas',
      message: /has 2 standby\(s\).*commits would never return/,
    },
  },
  {
    name: 'synchronous replication naming a standby that is not a member',
    doc: postgres(
      '  streamingMode: Synchronous\n  synchronousReplicationConfig:\n    standbyNames: [pg-1, pg-7]\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.synchronousReplicationConfig.standbyNames[1]',
      message: /"pg-7" is not a member of pg: its members are pg-0, pg-1, pg-2/,
    },
  },
  {
    name: 'synchronous replication on a single server',
    doc: postgres('  streamingMode: Synchronous\n').replace('replicas: 3', 'replicas: 1'),
    verdict: { valid: false, field: 'spec.streamingMode', message: /needs a standby/ },
  },
  {
    name: 'a synchronous replication config without streamingMode Synchronous',
    doc: postgres('  synchronousReplicationConfig:\n    numSyncReplicas: 1\n'),
    verdict: {
      valid: false,
      field: 'spec.synchronousReplicationConfig',
      message: /applies only with spec.streamingMode: Synchronous/,
    },
  },
  {
    name: 'synchronous replication with synchronous_commit set inline too',
    doc: postgres(
      "  streamingMode: Synchronous\n  configuration:\n    inline:\n      user.conf: |\n        synchronous_commit = 'local'\n",
    ),
    verdict: {
      valid: false,
      field: 'spec.configuration.inline["user.conf"]',
      message: /sets synchronous_commit.*use spec.synchronousReplicationConfig.commitLevel/,
    },
  },
  {
    name: 'warm standbys',
    doc: postgres('  standbyMode: Warm\n'),
    verdict: { valid: true },
  },
  {
    name: 'hot_standby set inline beside standbyMode',
    doc: postgres(
      '  standbyMode: Warm\n  configuration:\n    inline:\n      user.conf: |\n        hot_standby = on\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.configuration.inline["user.conf"]',
      message: /sets hot_standby, which spec.standbyMode sets/,
    },
  },
  {
    name: 'a HorizontalScaling that changes the standby mode',
    doc: pgOps(
      '  type: HorizontalScaling\n  horizontalScaling:\n    replicas: 3\n    standbyMode: Warm\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.horizontalScaling.standbyMode',
      message: /Changing the standby mode in an OpsRequest is not supported yet/,
    },
  },
  {
    name: 'a replica of another cluster',
    doc: postgres(
      '  remoteReplica:\n    sourceRef:\n      name: pg-primary\n      namespace: other\n',
    ),
    verdict: { valid: false, field: 'spec.remoteReplica', message: /replicates another database/ },
  },
  {
    name: 'auth disabled',
    doc: redis('  disableAuth: true\n'),
    verdict: { valid: false, field: 'spec.disableAuth', message: /^true: / },
  },
  {
    name: 'pod placement (applied on Kubernetes)',
    doc: redis(
      '  podTemplate:\n    metadata:\n      labels:\n        team: data\n    spec:\n      nodeSelector:\n        disk: ssd\n      tolerations:\n        - key: dedicated\n          operator: Exists\n      serviceAccountName: cache\n      imagePullSecrets:\n        - name: registry\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'a toleration with a wrong effect',
    doc: redis(
      '  podTemplate:\n    spec:\n      tolerations:\n        - key: dedicated\n          effect: NoRun\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.podTemplate.spec.tolerations[0].effect',
      message: /NoSchedule/,
    },
  },
  {
    name: 'host networking (Kubernetes only, not applied)',
    doc: redis('  podTemplate:\n    spec:\n      hostNetwork: true\n'),
    verdict: { valid: true, warnings: ['spec.podTemplate.spec.hostNetwork'] },
  },
  {
    name: 'container resources (applied on Kubernetes)',
    doc: redis(
      '  podTemplate:\n    spec:\n      containers:\n        - name: redis\n          resources:\n            requests:\n              cpu: 500m\n              memory: 1Gi\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'maxmemory under the memory limit',
    doc: redis(
      '  podTemplate:\n    spec:\n      containers:\n        - name: redis\n          resources:\n            limits:\n              memory: 1Gi\n  configuration:\n    inline:\n      redis.conf: |\n        maxmemory 768mb\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'maxmemory at or above the memory limit (no headroom)',
    doc: redis(
      '  podTemplate:\n    spec:\n      resources:\n        limits:\n          memory: 1Gi\n  configuration:\n    inline:\n      redis.conf: |\n        maxmemory 1gb\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.configuration.inline["redis.conf"]',
      message: /maxmemory 1gb is not below the memory limit 1Gi .*such as 768mb/,
    },
  },
  {
    name: 'a Valkey version (run by valkey-server, never by a redis-server)',
    doc: redis('').replace('version: "7.0"', 'version: valkey-8.1.1'),
    verdict: { valid: true },
  },
  {
    name: 'a Valkey version with its settings in valkey.conf',
    doc: redis(
      '  configuration:\n    inline:\n      valkey.conf: |\n        maxmemory-policy allkeys-lru\n',
    ).replace('version: "7.0"', 'version: valkey-8.1.1'),
    verdict: { valid: true },
  },
  {
    name: 'settings in both redis.conf and valkey.conf',
    doc: redis(
      '  configuration:\n    inline:\n      redis.conf: |\n        hz 20\n      valkey.conf: |\n        hz 30\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.configuration.inline["valkey.conf"]',
      message: /and redis.conf are the same file/,
    },
  },
  {
    name: 'a Reconfigure of a Valkey in valkey.conf',
    doc: redisOps(
      '  type: Reconfigure\n  configuration:\n    applyConfig:\n      valkey.conf: |\n        maxmemory-policy allkeys-lru\n',
    ),
    verdict: { valid: true },
  },
  {
    name: 'a Valkey version that is not a version',
    doc: redis('').replace('version: "7.0"', 'version: valkey-latest'),
    verdict: { valid: false, field: 'spec.version', message: /write it as valkey-8.1.1/ },
  },
  {
    name: 'a Valkey version on Postgres',
    doc: postgres('').replace('version: "15"', 'version: valkey-8.1.1'),
    verdict: { valid: false, field: 'spec.version', message: /valkey distribution/ },
  },
  {
    name: 'a TimescaleDB version',
    doc: postgres('').replace('version: "15"', 'version: timescaledb-2.14.2-pg14'),
    verdict: { valid: false, field: 'spec.version', message: /timescaledb distribution/ },
  },
  {
    name: 'a plain version with a distro suffix',
    doc: postgres('').replace('version: "15"', 'version: 16.1-bookworm'),
    verdict: { valid: true },
  },
  {
    name: 'Sentinel mode',
    doc: redis('  mode: Sentinel\n  sentinelRef:\n    name: sen\n'),
    verdict: {
      valid: false,
      field: 'spec.mode',
      message: /^Sentinel mode is not supported yet/,
      also: ['spec.sentinelRef'],
    },
  },
  {
    name: 'a typo',
    doc: redis('  deletionPolcy: Halt\n'),
    verdict: { valid: false, field: 'spec.deletionPolcy', message: /deletionPolicy/ },
  },
  {
    name: 'Redis HorizontalScaling',
    doc: redisOps('  type: HorizontalScaling\n  horizontalScaling:\n    shards: 4\n'),
    verdict: {
      valid: false,
      field: 'spec.horizontalScaling',
      message: /^HorizontalScaling of a Redis database is not supported yet/,
    },
  },
  {
    name: 'a Reconfigure from a Secret',
    doc: pgOps(
      '  type: Reconfigure\n  configuration:\n    configSecret:\n      name: new-config\n',
    ),
    verdict: {
      valid: false,
      field: 'spec.configuration.configSecret',
      message: /Reconfiguring from a Secret is not supported yet/,
    },
  },
  {
    name: 'an UpdateVersion',
    doc: pgOps('  type: UpdateVersion\n  updateVersion:\n    targetVersion: "16.1"\n'),
    verdict: {
      valid: false,
      field: 'spec.updateVersion',
      message: /^UpdateVersion is not supported yet/,
      also: ['spec.type'],
    },
  },
  {
    name: 'a VolumeExpansion as the docs write it',
    doc: pgOps(
      '  type: VolumeExpansion\n  volumeExpansion:\n    mode: Online\n    postgres: 2Gi\n',
    ),
    verdict: { valid: true },
  },
];

const others = (doc: string) =>
  doc.includes('kind: RedisOpsRequest')
    ? [textFile('databases/cache.yaml', redis('  mode: Cluster\n'))]
    : doc.includes('kind: PostgresOpsRequest')
      ? [textFile('databases/pg.yaml', postgres(''))]
      : [];

describe('KubeDB-shaped manifests: each validated alone gets its verdict', () => {
  it.each(corpus)('$name', ({ doc, verdict }) => {
    const s = loadDesiredState({
      revision: 'r',
      files: [textFile('x.yaml', doc), ...others(doc)],
    });
    const errors = s.errors.filter((e) => e.file === 'x.yaml');
    const warnings = s.warnings.filter((w) => w.file === 'x.yaml').map((w) => w.field);
    if (verdict.valid) {
      expect(errors).toEqual([]);
      expect(warnings).toEqual(verdict.warnings ?? []);
    } else {
      expect(errors.map((e) => e.field).sort()).toEqual(
        [verdict.field, ...(verdict.also ?? [])].sort(),
      );
      // A refusal stands alone: no "ignored" warning beside it for the same field.
      expect(warnings).not.toContain(verdict.field);
      const named = errors.find((e) => e.field === verdict.field);
      expect(named?.message).toMatch(verdict.message);
      expect(named?.line).toBeGreaterThan(1);
    }
  });
});
