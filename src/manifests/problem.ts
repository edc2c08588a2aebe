/**
 * A problem found in one document, before it has a place in a file: a path into the document
 * (turned into a line and column by the document's locator) and a severity.
 */
import type { ErrorCode } from '../errors.js';

/** A step of a path into a document: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** One error or warning about a document, located by path. */
export interface Problem {
  severity: 'error' | 'warning';
  code: ErrorCode;
  path: PathSegment[];
  message: string;
  hint?: string;
  /** Point at the key of the last path segment rather than at its value (unknown fields). */
  atKey?: boolean;
  /** For config text in a block scalar: the 1-based line inside the text. */
  textLine?: number;
}

/** Renders a path as the dotted field name users see: `spec.containers[0].resources`. */
export function fieldName(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Shorthand for an error problem. */
export function error(
  code: ErrorCode,
  path: PathSegment[],
  message: string,
  hint?: string,
): Problem {
  return hint === undefined
    ? { severity: 'error', code, path, message }
    : { severity: 'error', code, path, message, hint };
}

/** Shorthand for a warning problem. */
export function warning(
  code: ErrorCode,
  path: PathSegment[],
  message: string,
  atKey = false,
): Problem {
  return { severity: 'warning', code, path, message, atKey };
}

/** Describes a value for a message: `"abc"`, `3`, `a list`, `a mapping`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
