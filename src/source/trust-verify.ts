/**
 * Trusted commits: before a new revision is applied, every commit since the last applied
 * one must be signed by a trusted key and change only that key's paths.
 */
import { normalizeSubPath } from './git-tree.js';
import {
  changedPaths,
  commitsBetween,
  historyReader,
  MissingHistoryError,
} from './trust-history.js';
import type { Deepen } from './trust-history.js';
import { checkSignature } from './trust-keys.js';
import type { TrustedKeys } from './trust-keys.js';
import { checkCommitScope } from './trust.js';

/** Commits checked at most per call unless told otherwise (a force-push can reach far). */
export const defaultMaxCommits = 1000;

/** What verifyCommits found: every commit checked, or the first one that fails and why. */
export type VerifyResult =
  { ok: true; checked: number } | { ok: false; commit: string; reason: string };

/** Options of verifyCommits. */
export interface VerifyOptions {
  /** The git directory of the local clone (it may be shallow). */
  gitdir: string;
  /** The last applied (verified) revision, or undefined when none was applied yet. */
  from: string | undefined;
  /** The revision to apply. */
  to: string;
  keys: TrustedKeys;
  /** The watched directory; key paths are relative to it and changes outside it are ignored. */
  subPath?: string;
  /** Fetches more history when a commit needed for the check is missing locally. */
  deepen: Deepen;
  /** More commits than this between `from` and `to` fail the check (default 1000). */
  maxCommits?: number;
}

const short = (oid: string): string => oid.slice(0, 7);

/**
 * Checks every commit reachable from `to` and not from `from` (oldest first; merge commits
 * too, their changes taken against the first parent): its OpenPGP signature must come from
 * a trusted key, and its changes under `subPath` must stay within that key's paths. With
 * `from` undefined (the first verified revision) only `to` itself is checked, still against
 * its first parent (which a depth-1 clone lacks, hence one `deepen`). Commits
 * outside `subPath` must still be signed. Returns the first failing commit with a sentence
 * for the status (`commit abc1234 is not signed`); a commit still missing after `deepen`
 * fails too. Throws only what reading the repository or `deepen` throws.
 */
export async function verifyCommits(opts: VerifyOptions): Promise<VerifyResult> {
  const subPath = normalizeSubPath(opts.subPath);
  const reader = historyReader(opts.gitdir, opts.deepen);
  const max = opts.maxCommits ?? defaultMaxCommits;
  try {
    const commits = await commitsBetween(reader, opts.from, opts.to, max);
    if (commits === undefined) {
      const reason = `more than ${max} commits lead from ${short(opts.from ?? '')} to ${short(opts.to)}, too many to check: was the branch rewritten?`;
      return { ok: false, commit: opts.to, reason };
    }
    for (const c of commits) {
      const id = `commit ${short(c.oid)}`;
      const signed = await checkSignature(c.payload, c.commit.gpgsig, opts.keys);
      if (!signed.ok) return { ok: false, commit: c.oid, reason: `${id} ${signed.reason}` };
      const scope = checkCommitScope(await changedPaths(reader, c, subPath), signed.key);
      if (!scope.ok)
        return { ok: false, commit: c.oid, reason: `${id} by ${signed.key.name} ${scope.reason}` };
    }
    return { ok: true, checked: commits.length };
  } catch (err) {
    if (!(err instanceof MissingHistoryError)) throw err;
    const reason = err.deepened
      ? `commit ${short(err.commit)} is missing from the local clone, even after fetching more history`
      : `commit ${short(err.commit)} is missing from the repository; was the branch rewritten?`;
    return { ok: false, commit: err.commit, reason };
  }
}
