/** Raw schemas of RedisOpsRequest and PostgresOpsRequest (`ops.kubedb.com/v1alpha1`). */
import * as z from 'zod';
import {
  applyPolicy,
  databaseRef,
  duration,
  expansionMode,
  ignoredField,
  manifest,
  otherSection,
  quantity,
} from './common.js';
import { limits } from './database.js';

/** Operation types dbops executes. */
export const supportedOpsTypes = [
  'VolumeExpansion',
  'Reconfigure',
  'Restart',
  'HorizontalScaling',
] as const;
/** KubeDB operation types dbops recognises but does not execute yet. */
export const unsupportedOpsTypes = [
  'VerticalScaling',
  'UpdateVersion',
  'Upgrade',
  'ReconfigureTLS',
  'StorageMigration',
  'RotateAuth',
  'Reprovision',
  'ReplaceSentinel',
  'Announce',
  'ReconnectStandby',
  'ForceFailOver',
  'SetRaftKeyPair',
] as const;

const opsType = z.enum([...supportedOpsTypes, ...unsupportedOpsTypes], {
  error: () => `must be one of ${supportedOpsTypes.join(', ')}`,
});

function spec(engine: 'redis' | 'postgres') {
  const file = engine === 'redis' ? 'redis.conf' : 'user.conf';
  const scaling =
    engine === 'redis'
      ? z.strictObject({
          shards: z.number().int().min(1).max(limits.maxShards).optional(),
          replicas: z.number().int().min(1).max(limits.maxReplicas).optional(),
        })
      : z.strictObject({ replicas: z.number().int().min(1).max(limits.maxReplicas).optional() });
  return z.strictObject({
    databaseRef,
    type: opsType,
    volumeExpansion: z
      .strictObject({ mode: expansionMode.optional(), [engine]: quantity() })
      .optional(),
    configuration: z
      .strictObject({
        applyConfig: z
          .strictObject({
            [file]: z.string().optional(),
            ...(engine === 'redis' ? { 'valkey.conf': z.string().optional() } : {}),
          })
          .optional(),
        removeCustomConfig: z.boolean().optional(),
        restart: z.union([z.enum(['auto', 'true', 'false']), z.boolean()]).optional(),
      })
      .optional(),
    horizontalScaling: scaling.optional(),
    timeout: duration.optional(),
    apply: applyPolicy.optional(),
    verticalScaling: otherSection,
    updateVersion: otherSection,
    tls: otherSection,
    maxRetries: ignoredField,
  });
}

/** RedisOpsRequest; `horizontalScaling.replicas` counts the master, like `cluster.replicas` in v1. */
export const redisOpsRequest = manifest(
  'ops.kubedb.com/v1alpha1',
  'RedisOpsRequest',
  spec('redis'),
);
/** PostgresOpsRequest. */
export const postgresOpsRequest = manifest(
  'ops.kubedb.com/v1alpha1',
  'PostgresOpsRequest',
  spec('postgres'),
);
