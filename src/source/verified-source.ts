/**
 * Trusted commits (DESIGN §7): a Source whose revisions are handed on only when every commit
 * since the last applied revision is signed by a trusted key and stays within its paths.
 */
import { codes, stalled } from '../errors.js';
import type { Deepen } from './trust-history.js';
import type { TrustedKeys } from './trust-keys.js';
import { verifyCommits } from './trust-verify.js';
import type { Snapshot, Source } from './source.js';

/** Where a source's commits can be read: its git directory, and how to fetch more history. */
export interface SourceHistory {
  gitdir: string;
  subPath: string;
  deepen: Deepen;
}

/** A source that can show its history (an http remote's cache, a local repository). */
export interface HistorySource extends Source {
  history(): Promise<SourceHistory>;
}

/**
 * Wraps `inner` so that `fetch` returns a revision only after checking every commit from
 * `lastApplied()` (exclusive; undefined: the head alone) to the new head; the snapshot then
 * carries `verified`. A failing commit makes `fetch` throw a stalled sourceUntrusted error
 * naming the commit and the reason, so the last applied revision keeps running.
 */
export function createVerifiedSource(
  inner: HistorySource,
  opts: { keys: TrustedKeys; lastApplied: () => string | undefined },
): Source {
  return {
    description: inner.description,
    commit: (req) => inner.commit(req),
    close: () => inner.close(),
    async fetch(signal?: AbortSignal): Promise<Snapshot> {
      const snap = await inner.fetch(signal);
      const from = opts.lastApplied();
      if (from === snap.revision) return { ...snap, verified: { commits: 0 } };
      const h = await inner.history();
      const r = await verifyCommits({
        gitdir: h.gitdir,
        from,
        to: snap.revision,
        keys: opts.keys,
        subPath: h.subPath,
        deepen: h.deepen,
      });
      if (r.ok) return { ...snap, verified: { commits: r.checked } };
      throw stalled(
        codes.sourceUntrusted,
        `revision ${snap.revision.slice(0, 12)} is not applied: ${r.reason}`,
        {
          hint: `the last applied revision keeps running; commits must be signed by a key in ${opts.keys.file} and stay within its paths: remove commit ${r.commit.slice(0, 12)} from the branch (every commit since the last applied revision is checked, so a revert on top does not help)`,
        },
      );
    },
  };
}
