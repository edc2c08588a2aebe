/** Small manifest builders for integration tests (KubeDB v1 shape). */

export function redisCluster(
  name: string,
  opts: { shards?: number; replicas?: number; storage?: string } = {},
): string {
  return `apiVersion: kubedb.com/v1
kind: Redis
metadata:
  name: ${name}
spec:
  version: "7.0"
  mode: Cluster
  cluster:
    shards: ${opts.shards ?? 3}
    replicas: ${opts.replicas ?? 2}
  storage:
    resources:
      requests:
        storage: ${opts.storage ?? '1Gi'}
  deletionPolicy: Halt
`;
}

export function redisStandalone(
  name: string,
  opts: { config?: string; deletionPolicy?: string; storage?: string; spec?: string } = {},
): string {
  // spec: more spec fields, as YAML indented by 2.
  const config = opts.config
    ? `  configuration:\n    inline:\n      redis.conf: |\n${opts.config
        .split('\n')
        .map((l) => `        ${l}`)
        .join('\n')}\n`
    : '';
  return `apiVersion: kubedb.com/v1
kind: Redis
metadata:
  name: ${name}
spec:
  version: "7.0"
  storage:
    resources:
      requests:
        storage: ${opts.storage ?? '256Mi'}
${opts.spec ?? ''}${config}  deletionPolicy: ${opts.deletionPolicy ?? 'Delete'}
`;
}

export function postgres(
  name: string,
  opts: {
    replicas?: number;
    version?: string;
    storage?: string;
    deletionPolicy?: string;
    /** More spec fields, as YAML indented by 2. */
    spec?: string;
  } = {},
): string {
  return `apiVersion: kubedb.com/v1
kind: Postgres
metadata:
  name: ${name}
spec:
  version: "${opts.version ?? '15'}"
  replicas: ${opts.replicas ?? 2}
${opts.spec ?? ''}  storage:
    resources:
      requests:
        storage: ${opts.storage ?? '1Gi'}
  deletionPolicy: ${opts.deletionPolicy ?? 'Halt'}
`;
}

/** An OpsRequest file (KubeDB ops.kubedb.com/v1alpha1) with the given spec body (YAML, indented 2). */
export function opsRequest(
  kind: 'Redis' | 'Postgres',
  name: string,
  database: string,
  type: string,
  body: string,
): string {
  return `apiVersion: ops.kubedb.com/v1alpha1
kind: ${kind}OpsRequest
metadata:
  name: ${name}
spec:
  type: ${type}
  databaseRef:
    name: ${database}
${body}`;
}
