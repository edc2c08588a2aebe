/**
 * Raw Redis/Postgres manifests -> normalised DatabaseSpec: defaults, sizes in bytes,
 * v1alpha2 converted to v1, configuration parsed and checked. Problems carry paths.
 */
import {
  podSpecFields,
  type DatabaseSpec,
  type DeletionPolicy,
  type PodSettings,
  type PostgresSpec,
  type Resources,
  type SynchronousReplication,
} from '../api/desired.js';
import { specOwnedSetting } from '../api/config-rules.js';
import { parseQuantity } from '../api/quantity.js';
import { codes } from '../errors.js';
import { sectionConfig } from './config-text.js';
import { memberName } from '../plan/topology.js';
import { limits } from '../api/schemas/database.js';
import { error, warning } from './problem.js';
import type { Problem } from './problem.js';

type Rec = Record<string, unknown>;
type ResourceList = { cpu?: string | number; memory?: string | number };
type RawResources = { requests?: ResourceList; limits?: ResourceList };

/** A raw database manifest after schema validation (fields of both versions, all optional). */
export interface RawDatabase {
  apiVersion: string;
  kind: 'Redis' | 'Postgres';
  metadata: { name: string };
  spec: {
    version: string;
    mode?: 'Standalone' | 'Cluster' | 'Sentinel';
    replicas?: number;
    cluster?: { shards?: number; replicas?: number; master?: number };
    storageType?: 'Durable' | 'Ephemeral';
    storage?: {
      storageClassName?: string;
      resources?: { requests?: { storage: string | number } };
    };
    configuration?: { secretName?: string; inline?: Record<string, string> };
    configSecret?: { name: string };
    authSecret?: { name: string; externallyManaged?: boolean };
    halted?: boolean;
    streamingMode?: 'Synchronous' | 'Asynchronous';
    standbyMode?: 'Hot' | 'Warm';
    init?: { initialized?: boolean; script?: { configMap?: { name: string } } };
    synchronousReplicationConfig?: {
      mode?: 'Any' | 'First';
      numSyncReplicas?: number;
      commitLevel?: SynchronousReplication['commitLevel'];
      standbyNames?: string[];
      useWildcard?: boolean;
    };
    deletionPolicy?: DeletionPolicy;
    terminationPolicy?: DeletionPolicy;
    podTemplate?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      controller?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: {
        resources?: RawResources;
        containers?: { name?: string; resources?: RawResources }[];
      } & Omit<
        PodSettings,
        'labels' | 'annotations' | 'controllerLabels' | 'controllerAnnotations'
      >;
    };
  };
}

/** Normalises a validated database manifest; the spec is undefined when a problem is fatal. */
export function normaliseDatabase(raw: RawDatabase): {
  spec: DatabaseSpec | undefined;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const s = raw.spec;
  const name = raw.metadata.name;
  const nameProblem = databaseNameProblem(name);
  if (nameProblem) problems.push(error(codes.invalidName, ['metadata', 'name'], nameProblem));

  const storageType = s.storageType ?? 'Durable';
  const size = s.storage?.resources?.requests?.storage;
  const sizePath = ['spec', 'storage', 'resources', 'requests', 'storage'];
  let storageBytes = 0;
  if (size === undefined) {
    if (storageType === 'Durable') {
      problems.push(
        error(
          codes.missingField,
          sizePath,
          'is required for storageType Durable: give the volume size, for example storage: { resources: { requests: { storage: 1Gi } } }',
        ),
      );
    }
  } else {
    const q = parseQuantity(String(size));
    if (q.ok && q.bytes === 0)
      problems.push(
        error(codes.invalidQuantity, sizePath, 'must be greater than 0, for example 1Gi'),
      );
    storageBytes = q.ok ? q.bytes : 0;
  }

  const file = raw.kind === 'Redis' ? 'redis.conf' : 'user.conf';
  const config = sectionConfig(
    file,
    s.configuration?.inline,
    ['spec', 'configuration', 'inline'],
    problems,
  );
  const fromConfiguration = s.configuration?.secretName;
  const fromConfigSecret = s.configSecret?.name;
  if (
    fromConfiguration !== undefined &&
    fromConfigSecret !== undefined &&
    fromConfiguration !== fromConfigSecret
  ) {
    problems.push(
      error(
        codes.invalidField,
        ['spec', 'configSecret'],
        'conflicts with spec.configuration.secretName: keep only configuration.secretName',
      ),
    );
  }
  const distribution = distributionOf(s.version);
  if (distribution?.toLowerCase() === 'valkey' && raw.kind === 'Redis') {
    // Valkey runs as itself (valkey-server, or the valkey image), never a redis-server instead.
    if (!/^valkey-\d+(\.\d+){0,2}$/i.test(s.version)) {
      problems.push(
        error(
          codes.invalidField,
          ['spec', 'version'],
          `"${s.version}" is not a Valkey version as KubeDB's catalog names them: write it as valkey-8.1.1`,
        ),
      );
    }
  } else if (distribution) {
    const plain = raw.kind === 'Redis' ? '"7.0"' : '"15"';
    problems.push(
      error(
        codes.unsupported,
        ['spec', 'version'],
        `"${s.version}" is KubeDB's ${distribution} distribution, which dbops cannot run yet: it runs the ${raw.kind === 'Redis' ? 'redis-server' : 'postgres'} it finds, which is not ${distribution}; use a plain version such as ${plain}`,
      ),
    );
  }
  const policy = s.deletionPolicy ?? s.terminationPolicy ?? 'Delete';
  const common = {
    name,
    version: s.version,
    storageType,
    storageBytes,
    ...(s.storage?.storageClassName === undefined
      ? {}
      : { storageClassName: s.storage.storageClassName }),
    config,
    ...optional('configSecretName', fromConfiguration ?? fromConfigSecret),
    ...optional('authSecretName', s.authSecret?.name),
    ...optional('authSecretExternal', s.authSecret?.externallyManaged === true || undefined),
    halted: s.halted ?? false,
    deletionPolicy: policy,
    ...optional('resources', resourcesOf(raw.kind, s.podTemplate?.spec)),
    ...optional('pod', podSettingsOf(s.podTemplate)),
  };
  const spec: DatabaseSpec | undefined =
    raw.kind === 'Postgres'
      ? {
          kind: 'Postgres',
          ...common,
          replicas: s.replicas ?? 1,
          ...optional('synchronous', synchronousOf(raw, problems)),
          ...optional('warmStandbys', s.standbyMode === 'Warm' || undefined),
          ...optional(
            'init',
            s.init && {
              ...optional('configMap', s.init.script?.configMap?.name),
              initialized: s.init.initialized ?? false,
            },
          ),
        }
      : redisShape(raw, common, problems);
  if (spec?.kind === 'Postgres') specOwnedProblems(spec, problems);
  return { spec: problems.some((p) => p.severity === 'error') ? undefined : spec, problems };
}

/** A setting of the inline configuration that a spec field sets (standbyMode, streamingMode). */
function specOwnedProblems(spec: PostgresSpec, problems: Problem[]): void {
  for (const key of Object.keys(spec.config)) {
    const owned = specOwnedSetting(key, spec.synchronous !== undefined);
    if (owned) {
      problems.push(
        error(
          codes.invalidField,
          ['spec', 'configuration', 'inline', 'user.conf'],
          `sets ${key}, which ${owned.setBy} sets: use ${owned.instead} instead`,
        ),
      );
    }
  }
}

/**
 * spec.streamingMode and spec.synchronousReplicationConfig, with KubeDB's defaults (Any, 1,
 * RemoteWrite); undefined for asynchronous streaming. Problems for a configuration that
 * cannot hold: too few standbys, names that are not members, settings set twice.
 */
function synchronousOf(raw: RawDatabase, problems: Problem[]): SynchronousReplication | undefined {
  const s = raw.spec;
  const c = s.synchronousReplicationConfig;
  const at = (...path: string[]) => ['spec', ...path];
  if (s.streamingMode !== 'Synchronous') {
    if (c) {
      problems.push(
        error(
          codes.invalidField,
          at('synchronousReplicationConfig'),
          'applies only with spec.streamingMode: Synchronous: set streamingMode, or remove this section',
        ),
      );
    }
    return undefined;
  }
  const replicas = s.replicas ?? 1;
  const count = c?.numSyncReplicas ?? 1;
  if (replicas < 2) {
    problems.push(
      error(
        codes.invalidField,
        at('streamingMode'),
        `Synchronous needs a standby to wait for, and spec.replicas is ${replicas}: set replicas to 2 or more, or use streamingMode Asynchronous`,
      ),
    );
  } else if (count >= replicas) {
    problems.push(
      error(
        codes.invalidField,
        at('synchronousReplicationConfig', 'numSyncReplicas'),
        `is ${count}, but ${raw.metadata.name} has ${replicas - 1} standby(s) (spec.replicas ${replicas}): set it below replicas, or commits would never return`,
      ),
    );
  }
  let standbyNames: SynchronousReplication['standbyNames'];
  if (c?.useWildcard && c.standbyNames) {
    problems.push(
      error(
        codes.invalidField,
        at('synchronousReplicationConfig', 'useWildcard'),
        'and standbyNames cannot both be set: keep one of them',
      ),
    );
  } else if (c?.useWildcard) {
    standbyNames = '*';
  } else if (c?.standbyNames) {
    const members = Array.from({ length: replicas }, (_, i) => memberName(raw.metadata.name, i));
    c.standbyNames.forEach((n, i) => {
      const where = [...at('synchronousReplicationConfig', 'standbyNames'), i];
      if (!members.includes(n)) {
        problems.push(
          error(
            codes.invalidField,
            where,
            `"${n}" is not a member of ${raw.metadata.name}: its members are ${members.join(', ')}`,
          ),
        );
      } else if (c.standbyNames!.indexOf(n) !== i) {
        problems.push(error(codes.invalidField, where, `"${n}" is listed twice: list it once`));
      }
    });
    standbyNames = c.standbyNames;
  }
  return {
    method: c?.mode ?? 'Any',
    count,
    commitLevel: c?.commitLevel ?? 'RemoteWrite',
    ...(standbyNames === undefined ? {} : { standbyNames }),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function redisShape(
  raw: RawDatabase,
  common: Omit<DatabaseSpec, 'kind' | 'replicas'>,
  problems: Problem[],
): DatabaseSpec | undefined {
  const s = raw.spec;
  const mode = s.mode ?? 'Standalone';
  if (mode === 'Sentinel') {
    problems.push(
      error(
        codes.unsupported,
        ['spec', 'mode'],
        'Sentinel mode is not supported yet: use mode Standalone or Cluster',
      ),
    );
    return undefined;
  }
  if (mode === 'Standalone') {
    if (s.cluster !== undefined)
      problems.push(
        warning(
          codes.invalidField,
          ['spec', 'cluster'],
          'is ignored in Standalone mode: set mode: Cluster to use it',
          true,
        ),
      );
    if (s.replicas !== undefined && s.replicas !== 1) {
      problems.push(
        error(
          codes.invalidField,
          ['spec', 'replicas'],
          'a Standalone Redis runs one server: remove spec.replicas, or use mode: Cluster with cluster.shards and cluster.replicas',
        ),
      );
    }
    return { kind: 'Redis', ...common, mode, shards: 1, replicas: 1 };
  }
  if (s.replicas !== undefined)
    problems.push(
      warning(
        codes.invalidField,
        ['spec', 'replicas'],
        'is ignored in Cluster mode: use spec.cluster.replicas',
        true,
      ),
    );
  // kubedb.com/v1 and KubeDB's GitOps kind share the v1 shape; v1alpha2 counts replicas apart.
  const v1 = raw.apiVersion !== 'kubedb.com/v1alpha2';
  const shards = (v1 ? s.cluster?.shards : s.cluster?.master) ?? 3;
  const replicas = v1 ? (s.cluster?.replicas ?? 2) : (s.cluster?.replicas ?? 1) + 1;
  if (shards < 3) {
    const path = ['spec', 'cluster', v1 ? 'shards' : 'master'];
    problems.push(
      warning(
        codes.invalidField,
        path,
        `${shards} shard(s): Redis Cluster needs a majority of at least 3 masters to fail over automatically; use 3 or more outside tests`,
      ),
    );
  }
  return { kind: 'Redis', ...common, mode, shards, replicas };
}

/** The pod template's placement and identity fields, as written; undefined when none. */
function podSettingsOf(t: RawDatabase['spec']['podTemplate']): PodSettings | undefined {
  if (!t) return undefined;
  const out: Record<string, unknown> = {
    ...optional('labels', t.metadata?.labels),
    ...optional('annotations', t.metadata?.annotations),
    ...optional('controllerLabels', t.controller?.labels),
    ...optional('controllerAnnotations', t.controller?.annotations),
  };
  for (const f of podSpecFields) if (t.spec?.[f] !== undefined) out[f] = t.spec[f];
  return Object.keys(out).length === 0 ? undefined : out;
}

function resourcesOf(
  kind: string,
  pod: NonNullable<RawDatabase['spec']['podTemplate']>['spec'],
): Resources | undefined {
  if (!pod) return undefined;
  const containers = pod.containers ?? [];
  const main =
    containers.find((c) => c.name === kind.toLowerCase()) ??
    (containers.length === 1 ? containers[0] : undefined);
  const raw = main?.resources ?? pod.resources;
  if (!raw) return undefined;
  const list = (l: ResourceList | undefined) =>
    l === undefined
      ? undefined
      : ({
          ...optional('cpu', l.cpu?.toString()),
          ...optional('memory', l.memory?.toString()),
        } as Rec);
  return { ...optional('requests', list(raw.requests)), ...optional('limits', list(raw.limits)) };
}

/**
 * The longest database name. Member names are `<db>-shard<N>-<i>` (up to 10 more characters
 * with at most 100 shards of 10 members), and Kubernetes appends `-<revision hash>` (up to
 * 11 characters) to the StatefulSet `<db>-shard<N>` in a label value, which is limited to
 * 63 characters: 40 + 8 + 11 = 59 leaves a margin.
 */
export const maxDatabaseName = 40;

/** Why a database name is too long, or undefined when it fits. */
export function databaseNameProblem(name: string): string | undefined {
  if (name.length <= maxDatabaseName) return undefined;
  return `"${name}" has ${name.length} characters: database names are limited to ${maxDatabaseName} so that member names such as "${name.slice(0, 12)}...-shard${limits.maxShards - 1}-${limits.maxReplicas - 1}" and Kubernetes revision labels stay within 63 characters; choose a shorter name`;
}

/**
 * The distribution a KubeDB catalog version names (`valkey-8.1.1`, `timescaledb-2.14.2-pg14`):
 * its leading word, or undefined for a plain version (`7.2.4`, `16.1-bookworm`). Pure.
 */
export function distributionOf(version: string): string | undefined {
  return (
    /^([a-z][a-z0-9]*)-/i.exec(version)?.[1] ?? (/^[a-z]/i.test(version) ? version : undefined)
  );
}
