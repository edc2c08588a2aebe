/**
 * Git objects built in memory: blobs, trees and commits with their ids, and the packfile that
 * carries them to a remote. A commit the autoscaler pushes is a handful of small objects; made
 * here they cost microseconds, where writing them through the clone cache first costs a file
 * each (100 ms and more on a busy disk), and that time is the window in which another push
 * wins the race. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export type ObjectType = 'blob' | 'tree' | 'commit';

/** One object: its type, its id and its body (the bytes after git's `type size\0` header). */
export interface GitObject {
  type: ObjectType;
  oid: string;
  body: Buffer;
}

/** One tree entry; `mode` as git writes it in trees ('100644', '100755', '120000', '40000'). */
export interface TreeItem {
  mode: string;
  path: string;
  oid: string;
}

/** Who and when, as a commit records it: whole seconds, minutes east of UTC. */
export interface Signature {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

export function gitObject(type: ObjectType, body: Buffer): GitObject {
  const oid = createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
  return { type, oid, body };
}

export const blobObject = (content: string | Buffer): GitObject =>
  gitObject('blob', Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'));

const isTreeMode = (mode: string) => mode === '40000' || mode === '040000';

/** git's order: bytewise on the name, a tree's name compared as if it ended in '/'. */
function sortKey(e: TreeItem): Buffer {
  return Buffer.from(isTreeMode(e.mode) ? `${e.path}/` : e.path, 'utf8');
}

/** A tree of `entries` (any order; names unique, without '/'). */
export function treeObject(entries: readonly TreeItem[]): GitObject {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  const parts = sorted.map((e) =>
    Buffer.concat([
      Buffer.from(`${isTreeMode(e.mode) ? '40000' : e.mode} ${e.path}\0`, 'utf8'),
      Buffer.from(e.oid, 'hex'),
    ]),
  );
  return gitObject('tree', Buffer.concat(parts));
}

function zone(minutes: number): string {
  const abs = Math.abs(minutes);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${minutes < 0 ? '-' : '+'}${hhmm}`;
}

const person = (s: Signature) => `${s.name} <${s.email}> ${s.timestamp} ${zone(s.timezoneOffset)}`;

/** Carriage returns dropped, no leading blank lines, exactly one newline at the end. */
function normalizeMessage(message: string): string {
  return `${message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
}

/**
 * A commit object. With `sign`, the payload (the commit without a signature) is signed and
 * the armored signature goes into a `gpgsig` header, as `git commit -S` writes it, so
 * `git verify-commit` checks it.
 */
export async function commitObject(c: {
  tree: string;
  parents: readonly string[];
  author: Signature;
  committer?: Signature;
  message: string;
  sign?: (payload: string) => Promise<string>;
}): Promise<GitObject> {
  const headers = [
    `tree ${c.tree}`,
    ...c.parents.map((p) => `parent ${p}`),
    `author ${person(c.author)}`,
    `committer ${person(c.committer ?? c.author)}`,
  ].join('\n');
  const message = normalizeMessage(c.message);
  const payload = `${headers}\n\n${message}`;
  if (!c.sign) return gitObject('commit', Buffer.from(payload, 'utf8'));
  const signature = (await c.sign(payload)).replace(/\r/g, '').trim();
  const gpgsig = signature
    .split('\n')
    .map((l) => ` ${l}`)
    .join('\n');
  return gitObject('commit', Buffer.from(`${headers}\ngpgsig${gpgsig}\n\n${message}`, 'utf8'));
}

const packType: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

/** The variable-length type-and-size header of one packed object. */
function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (packType[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

/** A version-2 packfile of `objects`, each stored whole (no deltas), with its checksum. */
export function packfile(objects: readonly GitObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts: Buffer[] = [header];
  for (const o of objects) parts.push(entryHeader(o.type, o.body.length), deflateSync(o.body));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}
