/** A manifest file of a revision. `content` is null when the file exceeds the size limit. */
export interface SourceFile {
  /** Path relative to the configured sub-path, with forward slashes. */
  path: string;
  size: number;
  content: string | null;
  /** Git blob id of the content, when the file comes from a Git tree. */
  oid?: string;
}

/** The manifests of one revision. */
export interface Snapshot {
  /** Full commit id (40 hex), or `local:<digest>` for a directory that is not a repository. */
  revision: string;
  files: SourceFile[];
  /** When the revision was fetched (clock ms). */
  fetchedAt: number;
}

/** Where desired state comes from: an http(s) Git remote or a local repository or directory. */
export interface Source {
  /** Human-readable description without credentials, e.g. `http://host/repo.git#main:/`. */
  readonly description: string;
  /** Fetches the newest revision of the branch and returns its manifests. */
  fetch(signal?: AbortSignal): Promise<Snapshot>;
  /** Releases resources. */
  close(): Promise<void>;
}

/** Files bigger than this are not read; the manifest loader reports them. */
export const maxManifestBytes = 1024 * 1024;
