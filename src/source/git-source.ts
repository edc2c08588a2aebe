import { resolve } from 'node:path';
import type { Clock } from '../platform/clock.js';
import { KeyedLock } from '../platform/lock.js';
import type { Logger } from '../platform/logger.js';
import type { GitAuth } from './auth.js';
import { DbopsError } from '../errors.js';
import { commitAndPush } from './git-commit.js';
import {
  cachePath,
  deepenCache,
  forgetCache,
  remoteDefaultBranch,
  syncCache,
  type ObjectCache,
  type RemoteRepo,
} from './git-cache.js';
import { normalizeSubPath, readManifestTree } from './git-tree.js';
import { parseRemoteUrl, secretsOf } from './redact.js';
import { maxManifestBytes, type Snapshot, type SourceFile } from './source.js';
import type { HistorySource } from './verified-source.js';

export type { GitAuth } from './auth.js';

/** A Source backed by an http(s) remote, with the handles git-commit needs. */
export interface GitSource extends HistorySource {
  /** The remote URL without credentials. */
  readonly url: string;
  /** The normalised sub-path inside the repository ('' for the root). */
  readonly subPath: string;
  /** Connection details (credentials included): for git-commit only, never log it. */
  readonly remote: RemoteRepo;
  /** The configured branch, or the remote's HEAD branch (asked once). */
  branch(signal?: AbortSignal): Promise<string>;
  /** Brings the cache up to date and returns its gitdir and head, without reading the tree. */
  sync(signal?: AbortSignal): Promise<{ gitdir: string; head: string }>;
  /** Runs `fn` exclusively with fetches of this source (fetch and push share one cache). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** isomorphic-git's object cache for this source's clone cache (see ObjectCache). */
  objectCache(): object;
  /** The head seen by the latest successful fetch or push, if any. */
  lastHead(): string | undefined;
  /** Records a head this process pushed, so the next commit builds on it. */
  noteHead(head: string): void;
}

/**
 * Builds a Source that clones the http(s) remote shallowly into `cacheDir` and reads the
 * manifests of the branch head's committed tree. Credentials come from `auth` or the URL and
 * never appear in `description`, logs or errors. Throws a usage error for a bad `path`.
 */
export function createGitSource(opts: {
  url: string;
  branch?: string;
  path?: string;
  cacheDir: string;
  auth?: GitAuth;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
  maxFileBytes?: number;
}): GitSource {
  const parsed = parseRemoteUrl(opts.url);
  const auth = opts.auth ?? parsed.auth;
  const subPath = normalizeSubPath(opts.path);
  const remote: RemoteRepo = {
    url: parsed.url,
    auth,
    secrets: [...new Set([...secretsOf(opts.auth), ...secretsOf(parsed.auth)])],
    timeoutMs: opts.timeoutMs ?? 30_000,
    cacheDir: resolve(opts.cacheDir),
    log: opts.log,
  };
  const maxFileBytes = opts.maxFileBytes ?? maxManifestBytes;
  const description = `${parsed.url}#${opts.branch ?? 'HEAD'}:/${subPath}`;
  const lock = new KeyedLock();
  let branchName = opts.branch;
  let head: string | undefined;
  const objects: ObjectCache = { current: {} };
  // Polls mostly find the same head: a commit's tree never changes, so reuse its files.
  let lastRead: { revision: string; files: SourceFile[] } | undefined;

  const branch = async (signal?: AbortSignal) => {
    branchName ??= await remoteDefaultBranch(remote, signal);
    return branchName;
  };
  const sync = async (signal?: AbortSignal) => {
    const synced = await syncCache(remote, await branch(signal), objects, signal);
    head = synced.head;
    return synced;
  };
  const exclusive = <T>(fn: () => Promise<T>) => lock.run('cache', fn);

  const source: GitSource = {
    description,
    url: parsed.url,
    subPath,
    remote,
    branch,
    sync,
    exclusive,
    objectCache: () => objects.current,
    lastHead: () => head,
    noteHead: (h) => {
      head = h;
    },
    fetch: (signal?: AbortSignal): Promise<Snapshot> =>
      exclusive(async () => {
        const started = opts.clock.now();
        let { gitdir, head: commit } = await sync(signal);
        const read = () =>
          readManifestTree({
            gitdir,
            commit,
            subPath,
            maxFileBytes,
            describe: description,
            known,
            cache: objects.current,
          });
        const known = new Map(lastRead?.files.map((f) => [f.oid ?? '', f]));
        let files: SourceFile[];
        try {
          files = lastRead?.revision === commit ? lastRead.files : await read();
        } catch (err) {
          if (err instanceof DbopsError) throw err;
          // Objects missing or torn on disk: drop the clone and read a fresh one, once.
          opts.log.warn({ source: description }, 'git cache unreadable; recloning');
          await forgetCache(gitdir);
          ({ gitdir, head: commit } = await sync(signal));
          files = await read();
        }
        lastRead = { revision: commit, files };
        const fetchedAt = opts.clock.now();
        opts.log.debug(
          { source: description, revision: commit, files: files.length, ms: fetchedAt - started },
          'fetched desired state',
        );
        return { revision: commit, files: files.map((f) => ({ ...f })), fetchedAt };
      }),
    commit: (req) => commitAndPush(source, req),
    history: async () => {
      const b = await branch();
      const gitdir = cachePath(remote.cacheDir, remote.url, b);
      return { gitdir, subPath, deepen: () => exclusive(() => deepenCache(remote, b, gitdir)) };
    },
    // Waits for a running fetch or push; the cache stays on disk for the next start.
    close: () => exclusive(() => Promise.resolve()),
  };
  return source;
}
