import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { netArgs, type RemoteRepo } from './git-cache.js';

/** The id git uses for "no commit": the old value of a ref that does not exist yet. */
export const noCommit = '0'.repeat(40);

/** How a ref update sent to the remote ended. */
export type RefUpdate =
  | { ok: true }
  /** The ref is no longer at `old` (or a new ref exists already): re-read and try again. */
  | { ok: false; reason: 'moved'; message: string }
  /** The server refused the update for a reason a retry does not cure (a hook, a rule). */
  | { ok: false; reason: 'refused'; message: string };

/**
 * The objects of `commit` that `parent` does not have: the commit, and every tree and blob
 * whose id differs from the parent's at the same path. Subtrees with the same id are skipped
 * whole, so a commit that adds one file costs a walk of its path only. Without a parent, every
 * object of the commit.
 */
export async function objectsSince(
  gitdir: string,
  commit: string,
  parent: string | undefined,
  cache: object = {},
): Promise<string[]> {
  const treeOf = async (oid: string) => (await git.readCommit({ fs, gitdir, oid, cache })).commit;
  const out = new Set<string>([commit]);
  const walk = async (tree: string, old: string | undefined): Promise<void> => {
    if (tree === old || out.has(tree)) return;
    out.add(tree);
    const before = new Map<string, string>();
    if (old) {
      for (const e of (await git.readTree({ fs, gitdir, oid: old, cache })).tree) {
        before.set(`${e.type} ${e.path}`, e.oid);
      }
    }
    for (const e of (await git.readTree({ fs, gitdir, oid: tree, cache })).tree) {
      const was = before.get(`${e.type} ${e.path}`);
      if (e.oid === was) continue;
      if (e.type === 'tree') await walk(e.oid, was);
      else if (e.type === 'blob') out.add(e.oid);
    }
  };
  const oldTree = parent ? (await treeOf(parent)).tree : undefined;
  await walk((await treeOf(commit)).tree, oldTree);
  return [...out];
}

/** A packfile of the objects `oids` read from `gitdir`. */
export async function packFrom(gitdir: string, oids: string[], cache: object = {}) {
  const { packfile } = await git.packObjects({ fs, gitdir, oids, write: false, cache });
  if (!packfile) throw new Error('isomorphic-git made no packfile');
  return packfile;
}

/** An async iterator over one chunk: the body type isomorphic-git's HTTP clients take. */
async function* once(chunk: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield await Promise.resolve(chunk);
}

function pktLine(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

/** The pkt-lines of a report-status answer, flushes dropped. Throws on a torn stream. */
function parsePktLines(data: Buffer): string[] {
  const lines: string[] = [];
  for (let at = 0; at < data.length;) {
    const len = Number.parseInt(data.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(len) || (len > 0 && len < 4) || at + Math.max(len, 4) > data.length) {
      throw new Error('the server answered the push with a malformed report');
    }
    if (len > 4)
      lines.push(
        data
          .subarray(at + 4, at + len)
          .toString('utf8')
          .replace(/\n$/, ''),
      );
    at += Math.max(len, 4);
  }
  return lines;
}

/** Reasons receive-pack gives when the ref was not where the client said: a race, not a rule. */
const movedReasons =
  /failed to (update|lock)|cannot lock|fetch first|non-fast-forward|stale info|already exists|expected|missing necessary objects/i;

/**
 * Asks the remote to move `ref` from `old` to `next` (never forced), sending `pack` (which must
 * complete `next` over what the remote has at `old`) in one `git-receive-pack` request.
 *
 * There is no ref discovery first: the caller read `old` from its latest fetch, and
 * receive-pack checks it under the ref's lock, so a ref that moved meanwhile comes back as
 * `moved`. That saves a round trip on every push and shortens the time between reading the
 * head and moving it, which is what loses races on a busy branch. Network and HTTP failures
 * throw isomorphic-git's errors (for remoteError).
 */
export async function pushRef(
  r: RemoteRepo,
  req: {
    ref: string;
    old: string;
    next: string;
    pack: Uint8Array;
    signal?: AbortSignal;
  },
): Promise<RefUpdate> {
  const { ref, old, next } = req;
  const body = Buffer.concat([
    pktLine(`${old} ${next} ${ref}\0report-status agent=dbops\n`),
    Buffer.from('0000'),
    req.pack,
  ]);
  const { http, headers } = netArgs(r, req.signal);
  const res = await http.request({
    url: `${r.url.replace(/\/+$/, '')}/git-receive-pack`,
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/x-git-receive-pack-request',
      accept: 'application/x-git-receive-pack-result',
    },
    body: once(body),
  });
  const chunks: Uint8Array[] = [];
  for await (const c of res.body ?? []) chunks.push(c);
  const data = Buffer.concat(chunks);
  if (res.statusCode !== 200) {
    throw new git.Errors.HttpError(res.statusCode, res.statusMessage, data.toString('utf8'));
  }
  if (!/x-git-receive-pack-result/.test(res.headers?.['content-type'] ?? '')) {
    throw new git.Errors.SmartHttpError('application/x-git-receive-pack-result', data.toString());
  }
  const lines = parsePktLines(data);
  const unpack = lines.find((l) => l.startsWith('unpack '));
  if (unpack !== 'unpack ok') {
    throw new Error(`the server could not unpack the push: ${unpack ?? 'no report'}`);
  }
  if (lines.includes(`ok ${ref}`)) return { ok: true };
  const ng = lines.find((l) => l.startsWith(`ng ${ref} `));
  const message = ng ? ng.slice(`ng ${ref} `.length) : 'the server did not report on the ref';
  return { ok: false, reason: movedReasons.test(message) ? 'moved' : 'refused', message };
}
