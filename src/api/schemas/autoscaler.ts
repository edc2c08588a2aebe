/** Raw schemas of RedisAutoscaler and PostgresAutoscaler (`autoscaling.kubedb.com/v1alpha1`). */
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

const scalingRule = z.strictObject({
  appliesUpto: quantity({ allowEmpty: true }).meta({
    description: 'Upper bound of the rule; "" for no bound.',
  }),
  threshold: z
    .union([z.string(), z.number()])
    .meta({ description: 'A percentage such as "50pc", or a quantity to add such as "10Gi".' }),
});

/** One storage autoscaling section, `storage.<standalone | cluster | postgres>`. */
export const storageAutoscaling = z.strictObject({
  trigger: z.enum(['On', 'Off']).optional(),
  usageThreshold: z.number().int().min(1).max(99).optional(),
  scalingThreshold: z.number().int().min(1).max(1000).optional(),
  scalingRules: z.array(scalingRule).optional(),
  upperBound: quantity().optional(),
  expansionMode: expansionMode.optional(),
});

const opsRequestOptions = z.strictObject({
  timeout: duration.optional(),
  apply: applyPolicy.optional(),
});

/** RedisAutoscaler: the storage section must match the database's mode. */
export const redisAutoscaler = manifest(
  'autoscaling.kubedb.com/v1alpha1',
  'RedisAutoscaler',
  z.strictObject({
    databaseRef,
    storage: z
      .strictObject({
        standalone: storageAutoscaling.optional(),
        cluster: storageAutoscaling.optional(),
        sentinel: otherSection,
      })
      .optional(),
    compute: ignoredField,
    opsRequestOptions: opsRequestOptions.optional(),
  }),
);

/** PostgresAutoscaler. */
export const postgresAutoscaler = manifest(
  'autoscaling.kubedb.com/v1alpha1',
  'PostgresAutoscaler',
  z.strictObject({
    databaseRef,
    storage: z.strictObject({ postgres: storageAutoscaling.optional() }).optional(),
    compute: ignoredField,
    opsRequestOptions: opsRequestOptions.optional(),
  }),
);

/** Raw storage autoscaling section. */
export type RawStorageAutoscaling = z.infer<typeof storageAutoscaling>;
