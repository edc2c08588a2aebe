/**
 * The raw schema of a policy document: structure and types only, unknown fields refused.
 * Units, cron schedules, CEL, contradictions and the one-rule-per-document rule are checked
 * after it (normalise.ts), where each problem gets its own message.
 */
import * as z from 'zod';
import { dnsLabel, duration, quantity } from '../api/schemas/common.js';
import { policyApiVersion, policyKind } from './policy.js';

const count = z.number().int().min(1);
const deletionPolicy = z.enum(['Delete', 'Halt', 'WipeOut', 'DoNotTerminate']);
const bounds = z.strictObject({ min: count.optional(), max: count.optional() });

const match = z.strictObject({
  kinds: z
    .array(z.enum(['Redis', 'Postgres']))
    .min(1)
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  databases: z.array(dnsLabel).min(1).optional(),
});

const window = z.strictObject({ schedule: z.string(), duration });

/** `spec`: the shared fields, and every rule key (exactly one is given, checked later). */
export const policySpec = z.strictObject({
  description: z.string().optional(),
  overridable: z.boolean().optional(),
  match: match.optional(),
  storage: z.strictObject({ min: quantity().optional(), max: quantity().optional() }).optional(),
  noShrink: z
    .literal(true, { message: 'must be true (remove the document to drop the rule)' })
    .optional(),
  forbiddenConfig: z.strictObject({ keys: z.array(z.string().min(1)).min(1) }).optional(),
  configValues: z
    .strictObject({
      key: z.string().min(1),
      allowed: z.array(z.union([z.string(), z.number()])).optional(),
      min: z.number().int().optional(),
      max: z.number().int().optional(),
    })
    .optional(),
  replicas: bounds.optional(),
  shards: bounds.optional(),
  deletionPolicy: z
    .strictObject({
      allowed: z.array(deletionPolicy).optional(),
      forbidden: z.array(deletionPolicy).optional(),
    })
    .optional(),
  changeWindow: z
    .strictObject({
      windows: z.array(window).min(1),
      operations: z.enum(['restarting', 'all']).optional(),
    })
    .optional(),
  cel: z
    .strictObject({
      expression: z.string().min(1),
      on: z.enum(['database', 'operation']).optional(),
      message: z.string().min(1).optional(),
    })
    .optional(),
});

/** A whole policy document. */
export const policyDocument = z.strictObject({
  apiVersion: z.literal(policyApiVersion),
  kind: z.literal(policyKind),
  metadata: z.strictObject({
    name: dnsLabel,
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: policySpec,
});

/** A document that passed the schema. */
export type RawPolicy = z.infer<typeof policyDocument>;
