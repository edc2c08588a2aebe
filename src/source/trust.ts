/**
 * What a trusted key may change: path rules (globs, each allowing some kinds of change) and
 * the pure check of one commit's changes against them. No I/O; the trusted-keys file is
 * read by trust-file.ts and commits are verified by trust-verify.ts.
 */

/** One kind of change a commit makes to a file, relative to its first parent. */
export type Change = 'add' | 'modify' | 'delete';

/** Every kind of change, in the order messages list them. */
export const allChanges: readonly Change[] = ['add', 'modify', 'delete'];

/** A file a commit changes, with its path relative to the watched sub-path. */
export interface ChangedPath {
  path: string;
  change: Change;
}

/** Files matching `pattern` may receive `changes` (a glob: `*`, `?`, and `**` segments). */
export interface PathRule {
  pattern: string;
  changes: readonly Change[];
}

/** The scope of one key: its name (for messages) and what it may change. */
export interface KeyScope {
  name: string;
  paths: readonly PathRule[];
}

/** The scope of a key with `role: bot` and no `paths`: it may only add files under ops/. */
export const botPaths: readonly PathRule[] = [{ pattern: 'ops/**', changes: ['add'] }];

/**
 * Says what is wrong with a glob, or returns undefined when dbops accepts it. Accepted: path
 * segments of literal characters, `*` and `?` (within a segment), and whole `**` segments.
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern === '') return 'must not be empty';
  if (pattern.startsWith('/')) return 'must be relative to the watched path (no leading /)';
  if (pattern.endsWith('/')) return `names files, not directories: write ${pattern}**`;
  if (/[\\[\]{}!]/.test(pattern)) return 'may use only *, ? and ** (no \\, [], {} or !)';
  const segments = pattern.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return 'must not have empty, . or .. segments';
  const bad = segments.find((s) => s.includes('**') && s !== '**');
  if (bad !== undefined) return `uses ** inside the segment "${bad}": write ** as a whole segment`;
  return undefined;
}

/** A RegExp matching the same paths as an accepted glob (see globProblem). */
export function globToRegExp(pattern: string): RegExp {
  const segments = pattern.split('/');
  let out = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      // A trailing ** matches one or more segments; a leading or middle one zero or more.
      out += last ? '[^/]+(?:/[^/]+)*' : '(?:[^/]+/)*';
      return;
    }
    out += seg
      .replace(/[.+^$()|]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
    if (!last) out += '/';
  });
  return new RegExp(`^${out}$`);
}

/** True when `path` matches the glob `pattern`. */
export function matchesGlob(path: string, pattern: string): boolean {
  return globToRegExp(pattern).test(path);
}

const verbs: Record<Change, string> = { add: 'adds', modify: 'modifies', delete: 'deletes' };

function describeRule(rule: PathRule): string {
  if (allChanges.every((c) => rule.changes.includes(c))) return `changes ${rule.pattern}`;
  const names = allChanges.filter((c) => rule.changes.includes(c)).map((c) => verbs[c]);
  return `${names.join(' or ')} ${rule.pattern}`;
}

/** The paths of a scope in words, for messages: `adds ops/**; changes docs/**`. */
export function describeScope(paths: readonly PathRule[]): string {
  return paths.length === 0 ? 'nothing' : paths.map(describeRule).join('; ');
}

/**
 * Checks that every change is allowed by at least one of the key's rules. Returns the first
 * change that is not, as a sentence (`modifies databases/x.yaml, outside its paths (...)`);
 * a commit without changes is in scope.
 */
export function checkCommitScope(
  changes: readonly ChangedPath[],
  key: KeyScope,
): { ok: true } | { ok: false; reason: string } {
  const compiled = key.paths.map((r) => ({ re: globToRegExp(r.pattern), changes: r.changes }));
  for (const c of changes) {
    if (compiled.some((r) => r.changes.includes(c.change) && r.re.test(c.path))) continue;
    return {
      ok: false,
      reason: `${verbs[c.change]} ${c.path}, outside its paths (${describeScope(key.paths)})`,
    };
  }
  return { ok: true };
}
