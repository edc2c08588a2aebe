/**
 * The Kubernetes objects of one database, as plain JSON for server-side apply. Pure: the
 * runtime applies them (apply.ts) with its own field manager.
 *
 * - `<db>-dbops` (ConfigMap): the database's root. It records the spec the runtime applied;
 *   every other object names it as owner, so a WipeOut deletes one object and the garbage
 *   collector takes the rest. PVCs are not owned: they outlive everything but a WipeOut.
 * - `<db>-auth` (Secret): the generated credentials, created once (authSecret), never in Git.
 * - `<db>-config` (Secret): redis.conf or the Postgres settings (Redis config carries the
 *   password, so a Secret, not a ConfigMap).
 * - `<db>-pods`: the governing headless Service (stable pod DNS names, not-ready addresses
 *   published so cluster members find each other while forming); `<db>`: the client Service.
 * - StatefulSets: `<db>-shard<N>` per Redis Cluster shard, else `<db>`; pods `<set>-<i>`, the
 *   names the local runtime gives members. Claim template `data`.
 * - `<db>` (PodDisruptionBudget): at most one member away at a time, for multi-member databases.
 */
import {
  podSpecFields,
  type DatabaseSpec,
  type PodSettings,
  type RedisSpec,
} from '../../api/desired.js';
import { settingLines } from '../../db/postgres/config-file.js';
import { warmStandbyDetail } from '../../db/postgres/ready.js';
import { specSettingsInput } from '../postgres-settings.js';
import { serverWanted } from '../server-kind.js';
import { renderRedisConfig } from '../../db/redis/config-file.js';

/** A Kubernetes object as sent to the API server. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export const fieldManager = 'dbops';
export const redisPort = 6379;
export const redisBusPort = 16379;
export const postgresPort = 5432;

/** The port the server of `spec` listens on in its pods. */
export const serverPort = (spec: DatabaseSpec) =>
  spec.kind === 'Redis' ? redisPort : postgresPort;
const replicationScript = 'replication-hba.sh';
const postgresConf = 'postgresql.conf';
const pgdata = '/var/lib/postgresql/data/pgdata';

/**
 * The `clone` init container of a Postgres pod: on a standby (every ordinal but 0) with an
 * empty data directory, pg_basebackup from pod 0 through the governing Service's DNS name,
 * with `-R` (standby.signal and primary_conninfo). On pod 0 and on a volume with data: nothing.
 */
const cloneScript = [
  'set -e',
  '[ -s "$PGDATA/PG_VERSION" ] && exit 0',
  'case "$HOSTNAME" in *-0) exit 0 ;; esac',
  // The pod's name as application_name (kept in primary_conninfo by -R): the name a standby
  // has in pg_stat_replication and synchronous_standby_names, as on the local runtime.
  'PGAPPNAME="$HOSTNAME" exec pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$PGDATA" -X stream -c fast -R',
].join('\n');

/** Names of the objects of database `db`. */
export const names = (db: string) => ({
  root: `${db}-dbops`,
  auth: `${db}-auth`,
  config: `${db}-config`,
  governing: `${db}-pods`,
  client: db,
  pdb: db,
});

/** The labels of every object of `spec` (app.kubernetes.io/*), plus `extra`. */
export function labelsOf(spec: DatabaseSpec, extra: Record<string, string> = {}) {
  return {
    'app.kubernetes.io/name': spec.kind.toLowerCase(),
    'app.kubernetes.io/instance': spec.name,
    'app.kubernetes.io/managed-by': 'dbops',
    ...extra,
  };
}

/** What selects the pods of `spec` (the instance, and the shard when given). */
export function selectorOf(spec: DatabaseSpec, shard?: number): Record<string, string> {
  return {
    'app.kubernetes.io/instance': spec.name,
    'app.kubernetes.io/managed-by': 'dbops',
    ...(shard === undefined ? {} : { 'dbops.dev/shard': String(shard) }),
  };
}

/** The root ConfigMap: the applied spec, and the owner of everything else. */
export function rootObject(spec: DatabaseSpec, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: names(spec.name).root, namespace, labels: labelsOf(spec) },
    data: { 'spec.json': JSON.stringify(spec) },
  };
}

/** The owner reference to a root ConfigMap whose uid the server gave. */
export function ownedBy(spec: DatabaseSpec, uid: string): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: names(spec.name).root,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The generated credentials' Secret (created once, never rewritten). */
export function authSecret(
  spec: DatabaseSpec,
  namespace: string,
  owner: OwnerReference,
  credentials: Record<string, string>,
  name = spec.authSecretName ?? names(spec.name).auth,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: labelsOf(spec),
      ownerReferences: [owner],
    },
    type: 'kubernetes.io/basic-auth',
    stringData: credentials,
  };
}

/** The server configuration, as the files the container reads. */
function configFiles(spec: DatabaseSpec, password: string): Record<string, string> {
  if (spec.kind === 'Redis') {
    const cluster = spec.mode === 'Cluster';
    return {
      'redis.conf': renderRedisConfig({
        host: '0.0.0.0',
        port: redisPort,
        dataDir: '/data',
        password,
        config: spec.config,
        // Each pod announces its own IP on the command line.
        ...(cluster
          ? { cluster: { nodeTimeoutMs: 5000, busPort: redisBusPort, announce: false } }
          : {}),
      }),
    };
  }
  // The whole server configuration (config_file): a reload re-reads it, so settings that need
  // no restart apply live once the kubelet has refreshed the mounted Secret.
  const lines = [
    '# Generated by dbops: edits are overwritten.',
    "listen_addresses = '*'",
    ...settingLines(specSettingsInput(spec)),
  ];
  return {
    [postgresConf]: `${lines.join('\n')}\n`,
    // Run once by the official image's entrypoint after initdb: standbys clone over the network.
    [replicationScript]: 'echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"\n',
  };
}

export function configSecret(
  spec: DatabaseSpec,
  namespace: string,
  owner: OwnerReference,
  password: string,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: names(spec.name).config,
      namespace,
      labels: labelsOf(spec),
      ownerReferences: [owner],
    },
    type: 'Opaque',
    stringData: configFiles(spec, password),
  };
}

function services(spec: DatabaseSpec, namespace: string, owner: OwnerReference): KubeObject[] {
  const n = names(spec.name);
  const redis = spec.kind === 'Redis';
  const port = serverPort(spec);
  const ports = [
    { name: redis ? 'redis' : 'postgres', port, targetPort: port },
    ...(redis && spec.mode === 'Cluster'
      ? [{ name: 'cluster-bus', port: redisBusPort, targetPort: redisBusPort }]
      : []),
  ];
  const meta = (name: string) => ({
    name,
    namespace,
    labels: labelsOf(spec),
    ownerReferences: [owner],
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(n.governing),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: selectorOf(spec),
        ports,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(n.client),
      spec: {
        type: 'ClusterIP',
        // Postgres clients reach the primary only: the runtime labels it.
        selector: redis ? selectorOf(spec) : { ...selectorOf(spec), 'dbops.dev/role': 'primary' },
        ports: [ports[0]],
      },
    },
  ];
}

/**
 * Default images: the official `redis`, `valkey/valkey` (a `valkey-*` version) and `postgres`
 * images at the spec's version.
 */
export function defaultImage(spec: DatabaseSpec): string {
  const { kind, version } = serverWanted(spec);
  return `${{ redis: 'redis', valkey: 'valkey/valkey', postgres: 'postgres' }[kind]}:${version}`;
}

/** An environment variable holding the password from the auth Secret. */
function passwordEnv(spec: DatabaseSpec, name: string) {
  const secret = spec.authSecretName ?? names(spec.name).auth;
  return { name, valueFrom: { secretKeyRef: { name: secret, key: 'password' } } };
}

function resourcesOf(spec: DatabaseSpec) {
  return spec.resources ? { resources: spec.resources } : {};
}

function redisContainer(spec: RedisSpec, image: string) {
  const cluster = spec.mode === 'Cluster';
  const server = serverWanted(spec).kind === 'valkey' ? 'valkey' : 'redis';
  const ping = [
    'sh',
    '-c',
    `${server}-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG`,
  ];
  return {
    name: 'redis',
    image,
    args: [
      '/etc/dbops/redis.conf',
      ...(cluster
        ? [
            '--cluster-announce-ip',
            '$(POD_IP)',
            '--cluster-announce-port',
            String(redisPort),
            '--cluster-announce-bus-port',
            String(redisBusPort),
          ]
        : []),
    ],
    command: [`${server}-server`],
    env: [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      passwordEnv(spec, 'REDIS_PASSWORD'),
    ],
    ports: [
      { name: 'redis', containerPort: redisPort },
      ...(cluster ? [{ name: 'cluster-bus', containerPort: redisBusPort }] : []),
    ],
    readinessProbe: { exec: { command: ping }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: {
      tcpSocket: { port: redisPort },
      initialDelaySeconds: 15,
      periodSeconds: 10,
      failureThreshold: 6,
    },
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'config', mountPath: '/etc/dbops', readOnly: true },
    ],
    ...resourcesOf(spec),
  };
}

function cloneContainer(spec: DatabaseSpec, image: string) {
  const n = names(spec.name);
  return {
    name: 'clone',
    image,
    command: ['sh', '-c', cloneScript],
    env: [
      { name: 'PGDATA', value: pgdata },
      { name: 'PRIMARY_HOST', value: `${spec.name}-0.${n.governing}` },
      { name: 'PRIMARY_PORT', value: String(postgresPort) },
      passwordEnv(spec, 'PGPASSWORD'),
    ],
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
  };
}

function postgresContainer(spec: DatabaseSpec, image: string) {
  // pg_isready says "rejecting connections" (1) for a warm standby too: psql tells that
  // answer ("Hot standby mode is disabled") from one of a server still starting up.
  const isReady = `pg_isready -q -h 127.0.0.1 -p ${postgresPort} -U postgres`;
  const warm = `psql -w -h 127.0.0.1 -p ${postgresPort} -U postgres -c '' 2>&1 | grep -q '${warmStandbyDetail}'`;
  const ready = [
    'sh',
    '-c',
    spec.kind === 'Postgres' && spec.warmStandbys ? `${isReady} || ${warm}` : isReady,
  ];
  return {
    name: 'postgres',
    image,
    args: ['-c', `config_file=/etc/dbops/${postgresConf}`],
    env: [{ name: 'PGDATA', value: pgdata }, passwordEnv(spec, 'POSTGRES_PASSWORD')],
    ports: [{ name: 'postgres', containerPort: postgresPort }],
    readinessProbe: { exec: { command: ready }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: {
      exec: { command: ready },
      initialDelaySeconds: 30,
      periodSeconds: 10,
      failureThreshold: 6,
    },
    volumeMounts: [
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      { name: 'config', mountPath: '/etc/dbops', readOnly: true },
      { name: 'initdb', mountPath: '/docker-entrypoint-initdb.d', readOnly: true },
    ],
    ...resourcesOf(spec),
  };
}

/** The pod template's placement and identity fields the spec carries (podTemplate.spec). */
function placementOf(pod: PodSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // The grace period has a default of dbops' own (set below).
  for (const key of podSpecFields.filter((k) => k !== 'terminationGracePeriodSeconds')) {
    if (pod[key] !== undefined) out[key] = pod[key];
  }
  return out;
}

/** One StatefulSet: a Redis Cluster shard (`shard`), else the whole database. */
function statefulSet(
  spec: DatabaseSpec,
  namespace: string,
  owner: OwnerReference,
  image: string,
  shard?: number,
): KubeObject {
  const n = names(spec.name);
  const name = shard === undefined ? spec.name : `${spec.name}-shard${shard}`;
  const replicas = spec.halted
    ? 0
    : spec.kind === 'Redis'
      ? spec.mode === 'Cluster'
        ? spec.replicas
        : 1
      : spec.replicas;
  const component: Record<string, string> =
    shard === undefined ? {} : { 'app.kubernetes.io/component': `shard${shard}` };
  const pod = spec.pod ?? {};
  // dbops' own labels win: the selector and the runtime's lookups depend on them.
  const podLabels = { ...pod.labels, ...labelsOf(spec, component), ...selectorOf(spec, shard) };
  const setLabels = { ...pod.controllerLabels, ...labelsOf(spec, component) };
  const container =
    spec.kind === 'Redis' ? redisContainer(spec, image) : postgresContainer(spec, image);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      namespace,
      labels: setLabels,
      ...(pod.controllerAnnotations ? { annotations: pod.controllerAnnotations } : {}),
      ownerReferences: [owner],
    },
    spec: {
      serviceName: n.governing,
      replicas,
      // Members start together; the runtime orders what needs an order (standbys, joins).
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: selectorOf(spec, shard) },
      template: {
        metadata: {
          labels: podLabels,
          ...(pod.annotations ? { annotations: pod.annotations } : {}),
        },
        spec: {
          ...placementOf(pod),
          ...(spec.kind === 'Postgres' ? { initContainers: [cloneContainer(spec, image)] } : {}),
          containers: [container],
          volumes: [
            { name: 'config', secret: { secretName: n.config, defaultMode: 0o440 } },
            ...(spec.kind === 'Postgres'
              ? [
                  {
                    name: 'initdb',
                    secret: {
                      secretName: n.config,
                      defaultMode: 0o440,
                      items: [{ key: replicationScript, path: replicationScript }],
                    },
                  },
                ]
              : []),
          ],
          // The official images run their servers as uid/gid 999: the group may read the config.
          securityContext: { fsGroup: 999 },
          terminationGracePeriodSeconds: pod.terminationGracePeriodSeconds ?? 30,
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: labelsOf(spec, component) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(spec.storageClassName ? { storageClassName: spec.storageClassName } : {}),
            resources: { requests: { storage: String(spec.storageBytes) } },
          },
        },
      ],
    },
  };
}

/** The StatefulSet names of `spec`, in order. */
export function statefulSetNames(spec: DatabaseSpec): string[] {
  return spec.kind === 'Redis' && spec.mode === 'Cluster'
    ? Array.from({ length: spec.shards }, (_, i) => `${spec.name}-shard${i}`)
    : [spec.name];
}

/**
 * Every object of `spec` but the root and the auth Secret (which the runtime creates first,
 * to learn the root's uid and to keep the generated password): config, Services,
 * StatefulSets and the disruption budget, each owned by the root.
 */
export function databaseObjects(input: {
  spec: DatabaseSpec;
  namespace: string;
  owner: OwnerReference;
  password: string;
  image?: string;
}): KubeObject[] {
  const { spec, namespace, owner } = input;
  const image = input.image ?? defaultImage(spec);
  const sets =
    spec.kind === 'Redis' && spec.mode === 'Cluster'
      ? Array.from({ length: spec.shards }, (_, i) => statefulSet(spec, namespace, owner, image, i))
      : [statefulSet(spec, namespace, owner, image)];
  const members =
    spec.kind === 'Redis'
      ? spec.mode === 'Cluster'
        ? spec.shards * spec.replicas
        : 1
      : spec.replicas;
  const pdb: KubeObject[] =
    members > 1
      ? [
          {
            apiVersion: 'policy/v1',
            kind: 'PodDisruptionBudget',
            metadata: {
              name: names(spec.name).pdb,
              namespace,
              labels: labelsOf(spec),
              ownerReferences: [owner],
            },
            spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(spec) } },
          },
        ]
      : [];
  return [
    configSecret(spec, namespace, owner, input.password),
    ...services(spec, namespace, owner),
    ...sets,
    ...pdb,
  ];
}
