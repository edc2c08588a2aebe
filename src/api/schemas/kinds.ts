/** The registry of manifest kinds: which apiVersions each accepts and the schema of each. */
import type * as z from 'zod';
import { postgresAutoscaler, redisAutoscaler } from './autoscaler.js';
import { postgresV1, postgresV1alpha2, redisV1, redisV1alpha2 } from './database.js';
import { postgresOpsRequest, redisOpsRequest } from './ops.js';

/** Kinds dbops reads. */
export type ManifestKind =
  | 'Redis'
  | 'Postgres'
  | 'RedisOpsRequest'
  | 'PostgresOpsRequest'
  | 'RedisAutoscaler'
  | 'PostgresAutoscaler';

/** kind -> apiVersion -> schema. The first apiVersion listed is the preferred one. */
export const kinds: Record<ManifestKind, Record<string, z.ZodType>> = {
  Redis: { 'kubedb.com/v1': redisV1, 'kubedb.com/v1alpha2': redisV1alpha2 },
  Postgres: { 'kubedb.com/v1': postgresV1, 'kubedb.com/v1alpha2': postgresV1alpha2 },
  RedisOpsRequest: { 'ops.kubedb.com/v1alpha1': redisOpsRequest },
  PostgresOpsRequest: { 'ops.kubedb.com/v1alpha1': postgresOpsRequest },
  RedisAutoscaler: { 'autoscaling.kubedb.com/v1alpha1': redisAutoscaler },
  PostgresAutoscaler: { 'autoscaling.kubedb.com/v1alpha1': postgresAutoscaler },
};

/** True when `kind` is one of the kinds dbops reads. */
export function isManifestKind(kind: unknown): kind is ManifestKind {
  return typeof kind === 'string' && Object.hasOwn(kinds, kind);
}
