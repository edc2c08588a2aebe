/**
 * Building blocks shared by the raw manifest schemas: strict objects (unknown fields are
 * errors), fields dbops accepts but ignores (warnings), quantities, durations, names.
 */
import * as z from 'zod';
import { parseDuration } from '../duration.js';
import { isDnsLabel } from '../names.js';
import { parseQuantity } from '../quantity.js';

/** Issue params tag that tells the loader which error code a custom issue maps to. */
export type IssueTag = 'invalidQuantity' | 'invalidName' | 'invalidField';

/**
 * A KubeDB field that dbops accepts and ignores; the loader warns "ignored by dbops" when it
 * is present. Compared by identity, so always use this instance.
 */
export const ignoredField = z
  .unknown()
  .optional()
  .meta({ description: 'Accepted for KubeDB compatibility; ignored by dbops.' });

/** A field that is only valid with a given `type` (checked after the schema). */
export const otherSection = z
  .unknown()
  .optional()
  .meta({ description: 'Only for an operation type dbops does not support yet.' });

/** Adds every name in `names` as an ignored field. */
export function ignoring(names: readonly string[]): Record<string, typeof ignoredField> {
  return Object.fromEntries(names.map((n) => [n, ignoredField]));
}

/** A size: a Kubernetes quantity as a string (`1Gi`) or a plain number of bytes. */
export function quantity(opts: { allowEmpty?: boolean } = {}) {
  return z
    .union([z.string(), z.number()])
    .meta({ description: 'A Kubernetes quantity such as 1Gi, 1536Mi or 500M.' })
    .superRefine((value, ctx) => {
      if (opts.allowEmpty && value === '') return;
      const r = parseQuantity(String(value));
      if (!r.ok)
        ctx.addIssue({
          code: 'custom',
          message: r.message,
          input: value,
          params: { tag: 'invalidQuantity' },
        });
    });
}

/** A Go duration such as `30s` or `1h30m`. */
export const duration = z
  .string()
  .meta({ description: 'A Go duration such as 30s, 5m or 1h30m.' })
  .superRefine((value, ctx) => {
    const r = parseDuration(value);
    if (!r.ok)
      ctx.addIssue({
        code: 'custom',
        message: r.message,
        input: value,
        params: { tag: 'invalidField' },
      });
  });

/** A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters. */
export const dnsLabel = z
  .string()
  .meta({
    description: 'A DNS-1123 label: lower-case letters, digits and -, at most 63 characters.',
  })
  .superRefine((value, ctx) => {
    if (isDnsLabel(value)) return;
    const message = `"${value.length > 70 ? `${value.slice(0, 63)}...` : value}" is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters (for example "orders-cache")`;
    ctx.addIssue({ code: 'custom', message, input: value, params: { tag: 'invalidName' } });
  });

/** `metadata`: the name is used; Kubernetes bookkeeping fields are accepted silently. */
export const metadata = z.strictObject({
  name: dnsLabel,
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  uid: z.unknown().optional(),
  resourceVersion: z.unknown().optional(),
  generation: z.unknown().optional(),
  creationTimestamp: z.unknown().optional(),
  finalizers: z.unknown().optional(),
  ownerReferences: z.unknown().optional(),
  managedFields: z.unknown().optional(),
  // What `kubectl get -o yaml` prints besides: bookkeeping, no behaviour.
  selfLink: z.unknown().optional(),
  generateName: z.unknown().optional(),
  deletionTimestamp: z.unknown().optional(),
  deletionGracePeriodSeconds: z.unknown().optional(),
});

/** `databaseRef: { name }` of OpsRequests and autoscalers. */
export const databaseRef = z.strictObject({ name: dnsLabel });

/** `apply: IfReady | Always`. */
export const applyPolicy = z.enum(['IfReady', 'Always']);

/** `Online | Offline` volume expansion modes. */
export const expansionMode = z.enum(['Online', 'Offline']);

/** Builds the top level of a manifest: apiVersion, kind, metadata, spec; `status` is ignored. */
export function manifest<S extends z.ZodType>(apiVersion: string, kind: string, spec: S) {
  return z.strictObject({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata,
    spec,
    // An exported object carries its status: bookkeeping of the cluster it came from.
    status: z.unknown().optional(),
  });
}

/** The schema inside optional, nullable, default and pipe wrappers. */
export function unwrapSchema(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault)
      s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
}
