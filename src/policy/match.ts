/** Which databases a policy is about, and how messages name them. */
import type { DatabaseSpec } from '../api/desired.js';
import type { Match } from './policy.js';

/** True when every selector of `match` holds for the database (an empty match: always). Pure. */
export function matches(
  match: Match,
  database: DatabaseSpec,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (match.kinds && !match.kinds.includes(database.kind)) return false;
  if (match.databases && !match.databases.includes(database.name)) return false;
  for (const [key, value] of Object.entries(match.labels ?? {}))
    if (labels[key] !== value) return false;
  return true;
}

/** Joins words as people write them: `a`, `a or b`, `a, b or c`. */
export function either(words: readonly string[], last = 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${last} ${words[words.length - 1] ?? ''}`;
}

/**
 * The databases a policy is about, for a message: ` for Redis databases labelled
 * env=production`, or the empty string when it is about every database.
 */
export function scopeText(match: Match): string {
  const labels = Object.entries(match.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const kinds = match.kinds ? `${either(match.kinds)} ` : '';
  const names = match.databases;
  if (!match.kinds && labels.length === 0 && !names) return '';
  const noun = names?.length === 1 ? 'database' : 'databases';
  const parts = [`${kinds}${noun}`];
  if (names) parts.push(either(names));
  if (labels.length > 0) parts.push(`labelled ${either(labels, 'and')}`);
  return ` for ${parts.join(' ')}`;
}
