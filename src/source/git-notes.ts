import * as fs from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { systemClock, type Clock } from '../platform/clock.js';
import { KeyedLock } from '../platform/lock.js';
import { retryOnConflict } from '../platform/retry-conflict.js';
import { cachePath, netArgs, type RemoteRepo } from './git-cache.js';
import { classifyRemoteError, remoteError } from './git-errors.js';
import { noCommit, objectsSince, packFrom, pushRef } from './git-receive-pack.js';
import type { GitSource } from './git-source.js';
import { mergeNote, noteBlock } from './note-format.js';

export {
  formatDuration,
  formatOperationNote,
  mergeNote,
  noteBlock,
  type OperationNoteInput,
} from './note-format.js';

/** The notes ref that holds dbops' audit trail on the remote. */
export const notesRef = 'refs/notes/dbops';

/** One note to append: the annotated commit (40 hex) and the block of text. */
export interface NoteEntry {
  commit: string;
  text: string;
}

const locks = new KeyedLock();

/** Past this many shallow lines or packs the disposable notes cache is rebuilt at depth 1. */
const cacheLimit = 500;

// Notes live in their own small repository beside the branch clone: fetching them can then
// never deepen, re-shallow or lock the depth-1 branch cache, and branch fetches never wait.
async function prepare(r: RemoteRepo, gitdir: string): Promise<void> {
  const shallow = await readFile(join(gitdir, 'shallow'), 'utf8').catch(() => '');
  const packs = await readdir(join(gitdir, 'objects', 'pack')).catch(() => []);
  // isomorphic-git marks every fetched tip shallow and keeps every pack: both only grow.
  if (shallow.split('\n').length > cacheLimit || packs.length > cacheLimit) await forget(gitdir);
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
  await git.setConfig({ fs, gitdir, path: 'remote.origin.url', value: r.url });
  const fetchSpec = `+${notesRef}:${notesRef}`;
  await git.setConfig({ fs, gitdir, path: 'remote.origin.fetch', value: fetchSpec });
}

const forget = (gitdir: string) => rm(gitdir, { recursive: true, force: true });

/** The remote's notes commit, fetched at depth 1; undefined while the ref does not exist. */
async function fetchNotes(r: RemoteRepo, gitdir: string, signal?: AbortSignal) {
  try {
    const res = await git.fetch({
      ...netArgs(r, signal),
      gitdir,
      ref: notesRef,
      remoteRef: notesRef,
      singleBranch: true,
      depth: 1,
      tags: false,
    });
    return res.fetchHead ?? undefined;
  } catch (err) {
    const e = err as { code?: unknown; data?: { what?: unknown } };
    if (e.code === 'NotFoundError' && e.data?.what === notesRef) return undefined;
    throw err;
  }
}

/** Finds the note of `rest` in a notes tree, flat (`<oid>`) or fanned out (`ab/cdef...`). */
async function locate(
  gitdir: string,
  tree: string,
  rest: string,
): Promise<{ path: string[]; blob: string } | null> {
  for (const e of (await git.readTree({ fs, gitdir, oid: tree })).tree) {
    if (e.type === 'blob' && e.path === rest) return { path: [e.path], blob: e.oid };
    if (e.type === 'tree' && rest.length > 2 && e.path === rest.slice(0, 2)) {
      const inner = await locate(gitdir, e.oid, rest.slice(2));
      if (inner) return { path: [e.path, ...inner.path], blob: inner.blob };
    }
  }
  return null;
}

/** Writes `blob` at `path` under `tree` (undefined: empty), keeping every other entry. */
async function put(gitdir: string, tree: string | undefined, path: string[], blob: string) {
  const entries = tree ? (await git.readTree({ fs, gitdir, oid: tree })).tree : [];
  const [name, ...below] = path as [string, ...string[]];
  const old = entries.find((e) => e.path === name);
  const kept = entries.filter((e) => e.path !== name);
  if (below.length === 0) kept.push({ mode: '100644', path: name, oid: blob, type: 'blob' });
  else {
    const oid = await put(gitdir, old?.type === 'tree' ? old.oid : undefined, below, blob);
    kept.push({ mode: '040000', path: name, oid, type: 'tree' });
  }
  return git.writeTree({ fs, gitdir, tree: kept });
}

type Author = { name: string; email: string; timestamp: number };
type Round = NoteEntry & { r: RemoteRepo; gitdir: string; author: Author; signal?: AbortSignal };

/** One fetch, append, push round: 'conflict' when the notes ref moved on the remote. */
async function attempt({ r, gitdir, commit, text, author, signal }: Round) {
  const parent = await fetchNotes(r, gitdir, signal);
  const tree = parent ? (await git.readCommit({ fs, gitdir, oid: parent })).commit.tree : undefined;
  const found = tree ? await locate(gitdir, tree, commit) : null;
  const old = found ? (await git.readBlob({ fs, gitdir, oid: found.blob })).blob : undefined;
  const merged = mergeNote(old && Buffer.from(old).toString('utf8'), text);
  if (merged === undefined) return 'present' as const;
  const blob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(merged, 'utf8') });
  const who = { ...author, timestamp: Math.floor(author.timestamp / 1000), timezoneOffset: 0 };
  const oid = await git.commit({
    fs,
    gitdir,
    message: `dbops: note on ${commit}\n`,
    author: who,
    committer: who,
    tree: await put(gitdir, tree, found?.path ?? [commit], blob),
    parent: parent ? [parent] : [],
    noUpdateBranch: true,
  });
  const pack = await packFrom(gitdir, await objectsSince(gitdir, oid, parent));
  const res = await pushRef(r, { ref: notesRef, old: parent ?? noCommit, next: oid, pack, signal });
  if (!res.ok && res.reason === 'moved') return 'conflict' as const;
  if (!res.ok) throw new Error(`the remote refused the notes push: ${res.message}`);
  await git.writeRef({ fs, gitdir, ref: notesRef, value: oid, force: true });
  return 'pushed' as const;
}

/**
 * Appends `entry.text` as a block to the note of `entry.commit` in refs/notes/dbops on the
 * source's remote (creating the ref), pushing only that ref. Returns early with ok when the
 * same block is already there. A push that loses a race fetches, re-applies and retries with
 * jittered backoff, up to `maxAttempts` (5). Never throws: failures come back as a reason
 * without secrets. The annotated commit need not be in any local clone.
 */
export async function appendNote(
  source: GitSource,
  entry: NoteEntry,
  opts: {
    author: Author;
    signal?: AbortSignal;
    maxAttempts?: number;
    clock?: Clock;
    random?: () => number;
  },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const commit = entry.commit.toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(commit)) return { ok: false, reason: 'commit must be 40 hex digits' };
  if (!noteBlock(entry.text)) return { ok: false, reason: 'the note text is empty' };
  const r = source.remote;
  const gitdir = cachePath(r.cacheDir, r.url, 'notes:dbops');
  const round: Round = {
    r,
    gitdir,
    commit,
    text: entry.text,
    author: opts.author,
    signal: opts.signal,
  };
  let repaired = false;
  // A torn notes cache holds nothing the remote lacks: it is dropped and refetched, once.
  const once = async () => {
    await prepare(r, gitdir);
    try {
      return await attempt(round);
    } catch (err) {
      if (repaired || classifyRemoteError(err).kind !== 'other') throw err;
      repaired = true;
      r.log.warn({ cache: gitdir }, 'notes cache unusable; recreating it');
      await forget(gitdir);
      await prepare(r, gitdir);
      return attempt(round);
    }
  };
  return locks.run(gitdir, async () => {
    try {
      const out = await retryOnConflict<'present' | 'pushed'>(
        async () => {
          const outcome = await once();
          return outcome === 'conflict'
            ? { done: false, why: `${notesRef} kept moving` }
            : { done: true, value: outcome };
        },
        {
          clock: opts.clock ?? systemClock,
          random: opts.random ?? Math.random,
          maxAttempts: opts.maxAttempts ?? 5,
          signal: opts.signal,
          onConflict: (attempt) =>
            r.log.info({ commit, attempt }, 'notes push rejected: the ref moved; re-applying'),
        },
      );
      if (!out.ok) return { ok: false, reason: `${out.why}; gave up after ${out.attempts} tries` };
      r.log.info({ commit, outcome: out.value, attempts: out.attempts }, 'git note recorded');
      return { ok: true };
    } catch (err) {
      if (opts.signal?.aborted) return { ok: false, reason: 'aborted' };
      const e = remoteError(err, { url: r.url, branch: notesRef, secrets: r.secrets });
      return { ok: false, reason: e.message };
    }
  });
}
