/**
 * The schema half of the registry of manifest kinds: which apiVersions each kind accepts and
 * the schema of each. What a kind is beyond its schemas (family, database kind, normaliser)
 * is in src/manifests/kind-registry.ts, which must cover every kind listed here.
 */
import type * as z from 'zod';
import { postgresAutoscaler, redisAutoscaler } from './autoscaler.js';
import {
  postgresGitops,
  postgresV1,
  postgresV1alpha2,
  redisGitops,
  redisV1,
  redisV1alpha2,
} from './database.js';
import { postgresOpsRequest, redisOpsRequest } from './ops.js';

const schemas = {
  Redis: {
    'kubedb.com/v1': redisV1,
    'kubedb.com/v1alpha2': redisV1alpha2,
    'gitops.kubedb.com/v1alpha1': redisGitops,
  },
  Postgres: {
    'kubedb.com/v1': postgresV1,
    'kubedb.com/v1alpha2': postgresV1alpha2,
    'gitops.kubedb.com/v1alpha1': postgresGitops,
  },
  RedisOpsRequest: { 'ops.kubedb.com/v1alpha1': redisOpsRequest },
  PostgresOpsRequest: { 'ops.kubedb.com/v1alpha1': postgresOpsRequest },
  RedisAutoscaler: { 'autoscaling.kubedb.com/v1alpha1': redisAutoscaler },
  PostgresAutoscaler: { 'autoscaling.kubedb.com/v1alpha1': postgresAutoscaler },
} satisfies Record<string, Record<string, z.ZodType>>;

/** Kinds dbops reads: the keys of `kinds`. */
export type ManifestKind = keyof typeof schemas;

/** kind -> apiVersion -> schema. The first apiVersion listed is the preferred one. */
export const kinds: Record<ManifestKind, Record<string, z.ZodType>> = schemas;

/** True when `kind` is one of the kinds dbops reads. */
export function isManifestKind(kind: unknown): kind is ManifestKind {
  return typeof kind === 'string' && Object.hasOwn(kinds, kind);
}
