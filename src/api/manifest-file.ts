/** A manifest file of a revision. `content` is null when the file exceeds the size limit. */
export interface SourceFile {
  /** Path relative to the configured sub-path, with forward slashes. */
  path: string;
  size: number;
  content: string | null;
  /** Git blob id of the content, when the file comes from a Git tree. */
  oid?: string;
}

/** Files bigger than this are not read; the manifest loader reports them. */
export const maxManifestBytes = 1024 * 1024;
