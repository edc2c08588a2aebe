/**
 * Manifest builders for tests and benchmarks: plain objects in the KubeDB shape, and source
 * files made of them. Pure; not used by the loader itself.
 */
import { stringify } from 'yaml';
import type { SourceFile } from '../api/manifest-file.js';

type Obj = Record<string, unknown>;

/** A source file with the given text. */
export function textFile(path: string, content: string): SourceFile {
  return { path, size: Buffer.byteLength(content), content };
}

/** A source file holding the given documents (`---` separated). */
export function yamlFile(path: string, ...docs: unknown[]): SourceFile {
  return textFile(path, docs.map((d) => stringify(d)).join('---\n'));
}

/** A valid Redis (kubedb.com/v1); `spec` fields override the defaults. */
export function redisDoc(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: 'kubedb.com/v1',
    kind: 'Redis',
    metadata: { name },
    spec: { version: '7.2.4', storage: { resources: { requests: { storage: '1Gi' } } }, ...spec },
  };
}

/** A valid Postgres (kubedb.com/v1). */
export function postgresDoc(name: string, spec: Obj = {}): Obj {
  return {
    apiVersion: 'kubedb.com/v1',
    kind: 'Postgres',
    metadata: { name },
    spec: { version: '15', storage: { resources: { requests: { storage: '1Gi' } } }, ...spec },
  };
}

/** An OpsRequest for `database`; `spec` fields are added to databaseRef and type. */
export function opsDoc(
  kind: 'RedisOpsRequest' | 'PostgresOpsRequest',
  name: string,
  database: string,
  type: string,
  spec: Obj = {},
): Obj {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind,
    metadata: { name },
    spec: { databaseRef: { name: database }, type, ...spec },
  };
}

/** An autoscaler for `database` with one storage section. */
export function autoscalerDoc(
  kind: 'RedisAutoscaler' | 'PostgresAutoscaler',
  name: string,
  database: string,
  section: string,
  storage: Obj = {},
): Obj {
  return {
    apiVersion: 'autoscaling.kubedb.com/v1alpha1',
    kind,
    metadata: { name },
    spec: {
      databaseRef: { name: database },
      storage: { [section]: { trigger: 'On', ...storage } },
    },
  };
}

/** Sets `value` at a dotted path inside a copy of `doc` (undefined deletes the field). */
export function withField(doc: Obj, path: string, value: unknown): Obj {
  const copy = structuredClone(doc);
  const keys = path.split('.');
  let node: Obj = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Obj;
  }
  const last = keys[keys.length - 1] ?? '';
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}
