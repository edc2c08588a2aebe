/**
 * Turns zod issues into problems with messages that say what is wrong and what to write
 * instead: accepted values, ranges, "did you mean", renamed KubeDB fields.
 */
import type * as z from 'zod';
import { codes } from '../errors.js';
import type { IssueTag } from '../api/schemas/common.js';
import { describeValue, error, fieldName } from './problem.js';
import type { PathSegment, Problem } from './problem.js';
import { knownKeysAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';

// Fields renamed between KubeDB versions, with what to write instead.
const renamed: Record<string, string> = {
  'spec.terminationPolicy': 'kubedb.com/v1 calls it deletionPolicy (terminationPolicy is v1alpha2)',
  'spec.deletionPolicy':
    'kubedb.com/v1alpha2 calls it terminationPolicy: use apiVersion kubedb.com/v1 for deletionPolicy',
  'spec.cluster.master':
    'kubedb.com/v1 uses cluster.shards, and cluster.replicas counts the master (v1alpha2 used master and replicas without the master)',
  'spec.cluster.shards':
    'kubedb.com/v1alpha2 uses cluster.master: use apiVersion kubedb.com/v1 for cluster.shards',
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

function article(type: string): string {
  const names: Record<string, string> = {
    int: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
  };
  return names[type] ?? type;
}

function expectedOfUnion(issue: z.core.$ZodIssueInvalidUnion): string {
  const types = issue.errors
    .flat()
    .flatMap((e) => (e.code === 'invalid_type' ? [article(e.expected)] : []));
  return types.length > 0 ? [...new Set(types)].join(' or ') : 'one of the accepted forms';
}

/** Maps the issues of one failed parse to problems; `schema` supplies known keys for suggestions. */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  schema: z.ZodType,
): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    const got = valueAt(value, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys) {
          const full = [...path, key];
          const hint = renamed[fieldName(full)];
          const message = hint
            ? `unknown field "${key}": ${hint}`
            : `unknown field "${key}".${didYouMean(key, known) || ` Accepted fields here: ${known.join(', ')}`}`;
          out.push({ ...error(codes.unknownField, full, message), atKey: true });
        }
        break;
      }
      case 'invalid_type':
        out.push(
          missingOr(path, got, `must be ${article(issue.expected)}, got ${describeValue(got)}`),
        );
        break;
      case 'invalid_union':
        out.push(
          missingOr(path, got, `must be ${expectedOfUnion(issue)}, got ${describeValue(got)}`),
        );
        break;
      case 'invalid_value':
        if (got === undefined) out.push(missingOr(path, got, ''));
        else if (issue.message.startsWith('must be'))
          out.push(error(codes.invalidField, path, `${issue.message}, got ${describeValue(got)}`));
        else
          out.push(
            error(
              codes.invalidField,
              path,
              `must be one of ${issue.values.map(String).join(', ')}, got ${describeValue(got)}${didYouMean(typeof got === 'string' ? got : '', issue.values.map(String))}`,
            ),
          );
        break;
      case 'too_small':
        out.push(
          error(
            codes.invalidField,
            path,
            issue.origin === 'string'
              ? 'must not be empty'
              : `must be at least ${String(issue.minimum)}, got ${describeValue(got)}`,
          ),
        );
        break;
      case 'too_big':
        out.push(
          error(
            codes.invalidField,
            path,
            `must be at most ${String(issue.maximum)}, got ${describeValue(got)}`,
          ),
        );
        break;
      case 'custom': {
        const tag = (issue.params as { tag?: IssueTag } | undefined)?.tag ?? 'invalidField';
        out.push(error(codes[tag], path, issue.message));
        break;
      }
      default:
        out.push(error(codes.invalidField, path, issue.message));
    }
  }
  return out;
}

// Examples for required fields, so that the message shows what to write.
const examples: Record<string, string> = {
  'metadata.name': 'name: orders-cache',
  'spec.version': 'version: "7.2.4"',
  'spec.databaseRef.name': 'databaseRef: { name: orders-cache }',
  'spec.type': 'type: VolumeExpansion',
  'spec.storage.resources.requests.storage': 'storage: 1Gi',
};

function missingOr(path: PathSegment[], got: unknown, message: string): Problem {
  if (got === undefined) {
    const field = fieldName(path);
    const example = examples[field];
    return error(
      codes.missingField,
      path,
      `${field} is required${example ? `, for example ${example}` : ''}`,
    );
  }
  return error(codes.invalidField, path, message);
}
