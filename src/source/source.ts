import type { SourceFile } from '../api/manifest-file.js';

// What a source reads is the loader's input too, so it lives in api/ (manifests/ is pure).
export { maxManifestBytes } from '../api/manifest-file.js';
export type { SourceFile };

/** The manifests of one revision. */
export interface Snapshot {
  /** Full commit id (40 hex), or `local:<digest>` for a directory that is not a repository. */
  revision: string;
  files: SourceFile[];
  /** When the revision was fetched (clock ms). */
  fetchedAt: number;
  /** Set by a verifying source: how many new commits were checked for trusted signatures. */
  verified?: { commits: number };
}

/** A file to write, its path relative to the source's sub-path. */
export interface CommitFile {
  path: string;
  content: string;
}

/** A commit to make on top of a revision of the source (the autoscaler's decisions). */
export interface CommitRequest {
  files: CommitFile[];
  message: string;
  /** Author and committer; `timestamp` is clock milliseconds, so the commit is deterministic. */
  author: { name: string; email: string; timestamp: number };
  /** The revision the intent was decided on (default: the latest fetched head). */
  parent?: string;
  /**
   * The branch to write; default the watched branch, which must still be at `parent`. Another
   * branch is created at the new commit (review mode); when it exists already, the commit is
   * not made and its head comes back with `existed: true`.
   */
  branch?: string;
  /** Returns an armored detached OpenPGP signature of the commit payload. */
  sign?: (payload: string) => Promise<string>;
  signal?: AbortSignal;
}

/**
 * How a commit ended: the new revision; a conflict (the branch moved past `parent`: fetch,
 * re-decide on the new head and try again); or refused (this source cannot take commits, with
 * what to do about it).
 */
export type CommitResult =
  | { ok: true; revision: string; existed?: boolean }
  | { ok: false; reason: 'conflict' }
  | { ok: false; reason: 'refused'; message: string; hint?: string };

/** Where desired state comes from: an http(s) Git remote or a local repository or directory. */
export interface Source {
  /** Human-readable description without credentials, e.g. `http://host/repo.git#main:/`. */
  readonly description: string;
  /** Fetches the newest revision of the branch and returns its manifests. */
  fetch(signal?: AbortSignal): Promise<Snapshot>;
  /**
   * Commits `files` on top of `parent` and publishes it (push for a remote, a ref update for a
   * local repository), never force. Throws source DbopsErrors for network and auth errors.
   */
  commit(req: CommitRequest): Promise<CommitResult>;
  /** Releases resources. */
  close(): Promise<void>;
}
