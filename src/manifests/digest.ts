/** Content digests: sha256 of canonical JSON (sorted keys), stable across key order and formatting. */
import { createHash } from 'node:crypto';
import type { OpsRequest } from '../api/desired.js';

/** JSON with object keys sorted at every level; undefined fields are dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The digest of an OpsRequest: sha256 hex of its normalised content without origin and digest. */
export function opsDigest(
  op: Omit<OpsRequest, 'origin' | 'digest'> & Partial<Pick<OpsRequest, 'origin' | 'digest'>>,
): string {
  const { origin: _origin, digest: _digest, ...content } = op;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
