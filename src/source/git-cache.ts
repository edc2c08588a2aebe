import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import type { Logger } from '../platform/logger.js';
import { basicAuthHeader, type GitAuth } from './auth.js';
import { classifyRemoteError, remoteError } from './git-errors.js';
import { createHttpClient } from './git-http.js';
import { redact } from './redact.js';

/** Everything needed to talk to one http(s) remote; `url` carries no credentials. */
export interface RemoteRepo {
  url: string;
  auth: GitAuth | undefined;
  secrets: string[];
  timeoutMs: number;
  cacheDir: string;
  log: Logger;
}

/** Written last into a finished clone: a cache directory without it is half-written. */
const completeMarker = 'dbops-clone-complete';

/** The cache directory of one (url, branch): readable prefix plus a hash, never a secret. */
export function cachePath(cacheDir: string, url: string, branch: string): string {
  const hash = createHash('sha256').update(`${url}#${branch}`).digest('hex').slice(0, 16);
  const slug = `${url.replace(/^[a-z]+:\/\//i, '')}-${branch}`
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(-60);
  return join(cacheDir, `${slug}-${hash}`);
}

/** Fresh headers per call: isomorphic-git mutates the object it is given. */
export function remoteHeaders(r: RemoteRepo): Record<string, string> {
  return r.auth ? { authorization: basicAuthHeader(r.auth) } : {};
}

/** The common isomorphic-git arguments for a network call to `r`. */
export function netArgs(r: RemoteRepo, signal?: AbortSignal) {
  return {
    fs,
    http: createHttpClient({ timeoutMs: r.timeoutMs, signal }),
    url: r.url,
    headers: remoteHeaders(r),
  };
}

/** The branch the remote's HEAD points to; 'main' when it has none (an empty repository). */
export async function remoteDefaultBranch(r: RemoteRepo, signal?: AbortSignal): Promise<string> {
  try {
    const { http, url, headers } = netArgs(r, signal);
    const refs = await git.listServerRefs({ http, url, headers, prefix: 'HEAD', symrefs: true });
    const target = refs.find((x) => x.ref === 'HEAD')?.target;
    return target?.startsWith('refs/heads/') ? target.slice('refs/heads/'.length) : 'main';
  } catch (err) {
    throw remoteError(err, { url: r.url, branch: 'HEAD', secrets: r.secrets });
  }
}

/** The branch names on the remote; [] when listing them fails (only used to enrich errors). */
export async function remoteBranches(r: RemoteRepo, signal?: AbortSignal): Promise<string[]> {
  try {
    const { http, url, headers } = netArgs(r, signal);
    const refs = await git.listServerRefs({ http, url, headers, prefix: 'refs/heads/' });
    return refs.map((x) => x.ref.slice('refs/heads/'.length)).slice(0, 20);
  } catch {
    return [];
  }
}

/** Marks a cache directory as broken so the next sync reclones it. */
export async function forgetCache(gitdir: string): Promise<void> {
  await rm(join(gitdir, completeMarker), { force: true });
}

async function isComplete(dir: string): Promise<boolean> {
  try {
    await stat(join(dir, completeMarker));
    return true;
  } catch {
    return false;
  }
}

async function clone(r: RemoteRepo, branch: string, dir: string, signal?: AbortSignal) {
  await mkdir(r.cacheDir, { recursive: true });
  const base = `${dir.slice(r.cacheDir.length + 1)}.tmp-`;
  // Temp dirs of clones killed mid-way are garbage: nobody else writes this key.
  for (const name of await readdir(r.cacheDir)) {
    if (name.startsWith(base)) await rm(join(r.cacheDir, name), { recursive: true, force: true });
  }
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    const ref = `refs/heads/${branch}`;
    const args = { ...netArgs(r, signal), dir: tmp, gitdir: tmp, ref };
    await git.clone({ ...args, singleBranch: true, depth: 1, noTags: true, noCheckout: true });
    // An empty remote clones "successfully" without the branch.
    const head = await git
      .resolveRef({ fs, gitdir: tmp, ref: `refs/remotes/origin/${branch}` })
      .catch(() => Promise.reject(new git.Errors.NotFoundError(ref)));
    await writeFile(join(tmp, completeMarker), `${head}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return head;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Past this many packs (one per fetch that brought something) the cache is recloned at depth
 * 1: isomorphic-git negotiates and finds objects pack by pack, so every pack slows every later
 * fetch (150 packs: 136 ms a fetch instead of 25 ms), and a fresh clone is a single pack.
 */
const maxPacks = 16;

async function fetchInto(
  r: RemoteRepo,
  branch: string,
  dir: string,
  cache: object,
  signal?: AbortSignal,
) {
  const ref = `refs/heads/${branch}`;
  // Incremental, not depth 1: a depth-1 fetch makes the server send the whole tree of every
  // new head (a repository of 1,500 files: 200 ms a fetch instead of 30 ms), which is the
  // window in which a racing push can beat the autoscaler's. New commits build on the head
  // we have, so only their own objects come; the shallow boundary stays where it was.
  // isomorphic-git offers the local branch as the fetch's only "have": left at the clone's
  // head, every fetch made the server send every commit since the clone again (on a branch
  // with a few pushes a second, a growing pack each time). Moved here, before the request,
  // rather than after the fetch: a file write under a busy disk takes tens of milliseconds,
  // and after the fetch it would widen the window between reading the head and pushing.
  const latest = await git
    .resolveRef({ fs, gitdir: dir, ref: `refs/remotes/origin/${branch}` })
    .catch(() => undefined);
  const offered = await git.resolveRef({ fs, gitdir: dir, ref }).catch(() => undefined);
  if (latest && latest !== offered)
    await git.writeRef({ fs, gitdir: dir, ref, value: latest, force: true });
  const res = await git.fetch({
    ...netArgs(r, signal),
    gitdir: dir,
    ref,
    remoteRef: ref,
    singleBranch: true,
    tags: false,
    cache,
  });
  if (!res.fetchHead) throw new git.Errors.NotFoundError(ref);
  // Reading the commit proves the objects arrived intact, not just the ref.
  await git.readCommit({ fs, gitdir: dir, oid: res.fetchHead, cache });
  return res.fetchHead;
}

/** Records `oid` as the cache's head of `branch`: the remote-tracking ref and the local branch. */
export async function recordHead(gitdir: string, branch: string, oid: string): Promise<void> {
  for (const ref of [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`]) {
    await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
  }
}

/**
 * Fetches `commits` more history below the cache's shallow boundary (for the trust check of
 * commits older than the clone). The shallow list moves down; later fetches keep it there.
 */
export async function deepenCache(
  r: RemoteRepo,
  branch: string,
  dir: string,
  commits = 50,
  signal?: AbortSignal,
): Promise<void> {
  const ref = `refs/heads/${branch}`;
  await git
    .fetch({
      ...netArgs(r, signal),
      gitdir: dir,
      ref,
      remoteRef: ref,
      singleBranch: true,
      depth: commits,
      relative: true,
      tags: false,
    })
    .catch((err: unknown) => {
      throw remoteError(err, { url: r.url, branch, secrets: r.secrets });
    });
}

/** True when the cache has grown enough packs that a fresh depth-1 clone is cheaper to keep. */
async function overgrown(dir: string): Promise<boolean> {
  const packs = await readdir(join(dir, 'objects', 'pack')).catch(() => [] as string[]);
  return packs.filter((p) => p.endsWith('.pack')).length > maxPacks;
}

/**
 * isomorphic-git's object cache for one clone cache: the pack indexes it has parsed, by pack
 * file name (a pack's name is its checksum, so an entry never goes stale). Without one, every
 * call reads and parses every .idx again (16 packs: tens of milliseconds on a busy disk, on
 * every fetch, read and commit). A reclone starts a new one, so the old packs' are dropped.
 */
export interface ObjectCache {
  current: object;
}

/**
 * Brings the clone cache of (`r.url`, `branch`) to the remote's head and returns its gitdir and
 * the head commit. Clones shallowly the first time (into a temp dir renamed into place);
 * fetches incrementally later (a force-push brings the rewritten history down to what the
 * cache has); reclones a half-written, broken or overgrown cache.
 * Throws sourceUnreachable, sourceAuth or sourceRef DbopsErrors without secrets.
 */
export async function syncCache(
  r: RemoteRepo,
  branch: string,
  objects: ObjectCache,
  signal?: AbortSignal,
): Promise<{ gitdir: string; head: string }> {
  const dir = cachePath(r.cacheDir, r.url, branch);
  const fail = async (err: unknown) => {
    const failure = classifyRemoteError(err);
    const branches = failure.kind === 'missing-ref' ? await remoteBranches(r, signal) : undefined;
    return remoteError(err, { url: r.url, branch, secrets: r.secrets, branches });
  };
  const complete = await isComplete(dir);
  if (complete && !(await overgrown(dir))) {
    try {
      return { gitdir: dir, head: await fetchInto(r, branch, dir, objects.current, signal) };
    } catch (err) {
      if (classifyRemoteError(err).kind !== 'other') throw await fail(err);
      const reason = redact((err as Error).message ?? String(err), r.secrets);
      r.log.warn({ cache: dir, reason }, 'git cache is broken; recloning');
    }
  } else if (complete) {
    r.log.debug({ cache: dir, maxPacks }, 'git cache has many packs; recloning at depth 1');
  } else if (fs.existsSync(dir)) {
    r.log.warn({ cache: dir }, 'git cache is half-written; recloning');
  }
  objects.current = {};
  try {
    return { gitdir: dir, head: await clone(r, branch, dir, signal) };
  } catch (err) {
    throw await fail(err);
  }
}
