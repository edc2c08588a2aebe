/**
 * Builders for policy tests: policy documents as YAML text, databases, planned operations.
 * Pure; not used by the module itself (tsconfig.build.json leaves fixtures.ts out).
 */
import type { DatabaseSpec, PostgresSpec, RedisSpec } from '../api/desired.js';
import type { SourceFile } from '../api/manifest-file.js';
import type { PlannedOperation } from '../plan/planned-operation.js';
import { loadPolicies } from './load.js';
import type { PolicySubject } from './evaluate.js';
import type { Policy } from './policy.js';

/** A source file with the given text. */
export function textFile(path: string, content: string): SourceFile {
  return { path, size: Buffer.byteLength(content), content };
}

/**
 * A policy document: the header lines, then `spec` as indented YAML lines. The document
 * starts at its first line, so `apiVersion` is line 1 of a single-document file.
 */
export function policyYaml(name: string, ...spec: string[]): string {
  return [
    'apiVersion: policy.dbops.dev/v1alpha1', // 1
    'kind: DatabasePolicy', // 2
    'metadata:', // 3
    `  name: ${name}`, // 4
    'spec:', // 5
    ...spec.map((l) => `  ${l}`), // 6...
    '',
  ].join('\n');
}

/** Loads repository policies from `policies/test.yaml` (no built-ins); throws on any error. */
export function policies(...docs: string[]): Policy[] {
  const r = loadPolicies({
    builtIn: [],
    repository: [textFile('policies/test.yaml', docs.join('---\n'))],
  });
  if (r.errors.length > 0)
    throw new Error(`policies did not load: ${JSON.stringify(r.errors, null, 2)}`);
  return r.policies;
}

const gi = 2 ** 30;

/** A Redis spec; standalone unless `mode: 'Cluster'` is given. */
export function redis(over: Partial<RedisSpec> = {}): RedisSpec {
  return {
    kind: 'Redis',
    name: 'cache',
    version: '7.2.4',
    mode: 'Standalone',
    shards: 1,
    replicas: 1,
    storageType: 'Durable',
    storageBytes: gi,
    config: {},
    halted: false,
    deletionPolicy: 'Halt',
    ...over,
  };
}

/** A Postgres spec. */
export function postgres(over: Partial<PostgresSpec> = {}): PostgresSpec {
  return {
    kind: 'Postgres',
    name: 'orders',
    version: '16',
    replicas: 2,
    storageType: 'Durable',
    storageBytes: gi,
    config: {},
    halted: false,
    deletionPolicy: 'Halt',
    ...over,
  };
}

/** What the policies judge: `database` with no labels, no spec before it and no operations unless given. */
export function subject(
  database: DatabaseSpec,
  more: {
    labels?: Record<string, string>;
    before?: DatabaseSpec;
    operations?: PlannedOperation[];
  } = {},
): PolicySubject {
  return {
    database,
    labels: more.labels ?? {},
    before: more.before ?? null,
    operations: more.operations ?? [],
  };
}

/** A planned operation that runs; a Restart of two members unless told otherwise. */
export function operation(over: Partial<PlannedOperation> = {}): PlannedOperation {
  return {
    database: 'cache',
    kind: 'Redis',
    type: 'Restart',
    source: 'OpsRequest',
    name: 'restart-cache',
    file: 'ops/restart-cache.yaml',
    outcome: 'run',
    message: null,
    parameters: { type: 'Restart' },
    steps: [],
    restarts: ['cache-0', 'cache-1'],
    failovers: 0,
    reversible: true,
    ...over,
  };
}

/** A VolumeExpansion from one size to another (in GiB). */
export function expansion(fromGi: number, toGi: number): PlannedOperation {
  return operation({
    type: 'VolumeExpansion',
    name: 'grow-cache',
    file: 'ops/grow-cache.yaml',
    parameters: {
      type: 'VolumeExpansion',
      fromBytes: fromGi * gi,
      toBytes: toGi * gi,
      mode: 'Online',
    },
    restarts: [],
    reversible: false,
  });
}
