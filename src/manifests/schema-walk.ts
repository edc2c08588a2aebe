/**
 * Walks the raw zod schemas alongside a document: which keys an object accepts (for "did you
 * mean"), and which present fields dbops ignores (for warnings).
 */
import * as z from 'zod';
import { ignoredField, unwrapSchema } from '../api/schemas/common.js';
import type { PathSegment } from './problem.js';

const unwrap = unwrapSchema;

/** The schema at `path` inside `root`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: readonly PathSegment[]): z.ZodType | undefined {
  let s: z.ZodType | undefined = unwrap(root);
  for (const seg of path) {
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return undefined;
    if (s === undefined) return undefined;
    s = unwrap(s);
  }
  return s;
}

/** Keys the object schema at `path` accepts (ignored ones included). */
export function knownKeysAt(root: z.ZodType, path: readonly PathSegment[]): string[] {
  const s = schemaAt(root, path);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function isLoose(s: z.ZodObject): boolean {
  return s.def.catchall instanceof z.ZodUnknown;
}

/** Paths of fields present in `value` that dbops accepts but ignores. */
export function ignoredPaths(root: z.ZodType, value: unknown): PathSegment[][] {
  const out: PathSegment[][] = [];
  const walk = (schema: z.ZodType, v: unknown, path: PathSegment[]): void => {
    const s = unwrap(schema);
    if (s instanceof z.ZodArray && Array.isArray(v)) {
      v.forEach((item, i) => walk(s.element as z.ZodType, item, [...path, i]));
      return;
    }
    if (!(s instanceof z.ZodObject) || typeof v !== 'object' || v === null || Array.isArray(v))
      return;
    const shape = s.shape as Record<string, z.ZodType>;
    for (const key of Object.keys(v)) {
      const child = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (child === ignoredField || (child === undefined && isLoose(s))) out.push([...path, key]);
      else if (child !== undefined)
        walk(child, (v as Record<string, unknown>)[key], [...path, key]);
    }
  };
  walk(root, value, []);
  return out;
}
