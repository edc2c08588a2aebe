/**
 * KubeDB's known fields, applied to one document before its schema: a field dbops does not do
 * yet is refused by its name with what to do instead (never "unknown field", never a silent
 * acceptance), a value other than the one dbops behaves like is refused, and bookkeeping is
 * dropped silently. What is left goes to the schema, which catches typos. Pure.
 */
import { knownField, isSameAsDbops } from '../api/kubedb-fields.js';
import type { ManifestKind } from '../api/schemas/kinds.js';
import { codes } from '../errors.js';
import { describeValue, error, warning, type PathSegment, type Problem } from './problem.js';

/** The problems the known fields raise, and the document without the fields they settle. */
export interface Screened {
  problems: Problem[];
  value: unknown;
  /** Paths refused here: what the schema or the normaliser says at or below them is moot. */
  refused: PathSegment[][];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Walks `value` (a `kind` document of `apiVersion`) against KubeDB's field table. Fields the
 * table says dbops honours stay for the schema; `unsupported` ones and values unlike dbops'
 * are errors; `ignored` ones and values dbops behaves like anyway are dropped without a word;
 * fields that only matter on Kubernetes stay when the Kubernetes runtime applies them, and are
 * dropped with a warning while it does not.
 */
export function screenKnownFields(
  kind: ManifestKind,
  apiVersion: string,
  value: unknown,
): Screened {
  const problems: Problem[] = [];
  const refused: PathSegment[][] = [];
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (!isObject(node)) return node;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      const at = [...path, key];
      const field = knownField(kind, at, apiVersion);
      switch (field?.disposition) {
        case undefined:
        case 'honoured':
          out[key] = walk(child, at);
          break;
        case 'unsupported':
          // Kept for the schema, so that nothing else is reported missing in its place.
          problems.push({ ...error(codes.unsupported, at, field.message), atKey: true });
          refused.push(at);
          out[key] = child;
          break;
        case 'sameAsDbops':
          // Refused, the value still goes to the schema: it is what the owner wrote.
          if (!isSameAsDbops(field, child)) {
            const message = `${describeValue(child)}: ${field.otherwise}`;
            problems.push(error(codes.unsupported, at, message));
            refused.push(at);
            out[key] = child;
          }
          break;
        case 'ignored':
          // Dropped; fields below it that the table knows of still speak (spec.init.script).
          if (!field.subtree) walk(child, at);
          break;
        case 'kubernetesOnly':
          if (field.appliedByKubeRuntime) out[key] = walk(child, at);
          else {
            const why = field.note ? ` (${field.note})` : '';
            const message = `only has a meaning on Kubernetes, and dbops does not apply it there yet${why}`;
            problems.push(warning(codes.unknownField, at, message, true));
          }
          break;
      }
    }
    return out;
  };
  return { problems, value: walk(value, []), refused };
}

/** True unless `p` is at or below one of the `refused` paths. */
export function notRefused(refused: readonly PathSegment[][]): (p: Problem) => boolean {
  return (p) => !refused.some((r) => r.every((seg, i) => p.path[i] === seg));
}
