import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { codes, stalled } from '../errors.js';
import type { SourceFile } from './source.js';

/** True for the files dbops reads: `*.yaml` and `*.yml`. */
export function isManifestPath(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/**
 * Validates and normalises a sub-path inside a repository: forward slashes, no leading or
 * trailing slash, '' for the root. Throws a usage error for absolute paths or `..`.
 */
export function normalizeSubPath(path: string | undefined): string {
  const p = (path ?? '').replace(/\\/g, '/');
  if (p.startsWith('/') || /^[a-z]:/i.test(p)) {
    throw stalled(codes.usage, `path '${p}' must be relative to the repository root`, {
      hint: 'use a path such as deploy/prod',
    });
  }
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..' || s.includes('\0'))) {
    throw stalled(codes.usage, `path '${p}' must stay inside the repository (no '..')`, {
      hint: 'use a path such as deploy/prod',
    });
  }
  return parts.join('/');
}

/**
 * Reads every manifest under `subPath` in the tree of `commit`, recursively, sorted by path
 * (relative to `subPath`). Content is null (and not decoded) above `maxFileBytes`. Throws a
 * sourceRef error when `subPath` does not exist in the commit or is not a directory.
 */
export async function readManifestTree(opts: {
  gitdir: string;
  commit: string;
  subPath: string;
  maxFileBytes: number;
  describe: string;
  /** Files already read, by blob id: unchanged blobs are not read again. */
  known?: ReadonlyMap<string, SourceFile>;
  /** isomorphic-git's object cache, kept by the caller across reads of the same gitdir. */
  cache?: object;
}): Promise<SourceFile[]> {
  const cache = opts.cache ?? {};
  const { gitdir, commit, subPath } = opts;
  let rootOid: string;
  try {
    const root = await git.readTree({
      fs,
      gitdir,
      oid: commit,
      filepath: subPath || undefined,
      cache,
    });
    rootOid = root.oid;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'NotFoundError' || code === 'ObjectTypeError') {
      throw stalled(
        codes.sourceRef,
        `path '${subPath}' is not a directory in ${opts.describe} at ${commit.slice(0, 12)}`,
        { hint: 'check the configured path, or commit the directory' },
      );
    }
    throw err;
  }
  const files: SourceFile[] = [];
  const walkTree = async (oid: string, prefix: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, gitdir, oid, cache });
    for (const entry of tree) {
      const path = prefix ? `${prefix}/${entry.path}` : entry.path;
      if (entry.type === 'tree') await walkTree(entry.oid, path);
      // Symlinks (120000) and submodules (commit) are not manifests.
      else if (entry.type === 'blob' && entry.mode !== '120000' && isManifestPath(path)) {
        const seen = opts.known?.get(entry.oid);
        if (seen) {
          files.push({ path, size: seen.size, content: seen.content, oid: entry.oid });
          continue;
        }
        const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid, cache });
        const size = blob.byteLength;
        const content =
          size > opts.maxFileBytes
            ? null
            : Buffer.from(blob.buffer, blob.byteOffset, size).toString('utf8');
        files.push({ path, size, content, oid: entry.oid });
      }
    }
  };
  await walkTree(rootOid, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
