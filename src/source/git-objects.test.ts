import { inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blobObject, commitObject, packfile, treeObject, type GitObject } from './git-objects.js';

// Every expected id below was computed with native git (hash-object, mktree, commit-tree).
const hello = 'ce013625030ba8dba906f756967f9e9ca394464a';
const empty = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
const helloTree = 'aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7';
const bot = (tz: number) => ({
  name: 'bot',
  email: 'bot@x',
  timestamp: 1700000000,
  timezoneOffset: tz,
});

describe('git objects built in memory have the ids git gives them', () => {
  it.each([
    ['an empty blob', blobObject(''), empty],
    ['a text blob', blobObject('hello\n'), hello],
    ['a blob from bytes', blobObject(Buffer.from('hello\n')), hello],
    ['an empty tree', treeObject([]), '4b825dc642cb6eb9a060e54bf8d69288fbee4904'],
    [
      'a tree of one file',
      treeObject([{ mode: '100644', path: 'hello.txt', oid: hello }]),
      helloTree,
    ],
    [
      // git's order: 'a-b' < 'a.txt' < 'a/' (a tree sorts as if named 'a/'), whatever the input order
      'a tree with a subtree, an executable and names that sort around it',
      treeObject([
        { mode: '100755', path: 'run.sh', oid: hello },
        { mode: '040000', path: 'a', oid: helloTree },
        { mode: '100644', path: 'a.txt', oid: hello },
        { mode: '100644', path: 'a-b', oid: empty },
      ]),
      '3ef58279b27ad8af030d4ffb566020a496487614',
    ],
  ])('%s', (_name, obj, oid) => {
    expect(obj.oid).toBe(oid);
  });

  it.each([
    [
      'a root commit in UTC',
      {
        tree: '3ef58279b27ad8af030d4ffb566020a496487614',
        parents: [],
        author: bot(0),
        message: 'Add a decision',
      },
      '60e08d9002470ad98da8c998a91612c59ece97d4',
    ],
    [
      'a commit with a parent, a body, and author and committer in other zones',
      {
        tree: helloTree,
        parents: ['60e08d9002470ad98da8c998a91612c59ece97d4'],
        author: bot(90),
        committer: bot(-300),
        message: '\nsubject\n\nbody line\n\n\n',
      },
      '09e92f23bd7b4ac87d78e5b6090626676a5a05c1',
    ],
  ])('%s', async (_name, c, oid) => {
    expect((await commitObject(c)).oid).toBe(oid);
  });

  it('signs the unsigned commit and puts the signature in a gpgsig header, one space-led line each', async () => {
    const payloads: string[] = [];
    const signed = await commitObject({
      tree: helloTree,
      parents: [],
      author: bot(0),
      message: 'signed',
      sign: (payload) => {
        payloads.push(payload);
        return Promise.resolve(
          '-----BEGIN PGP SIGNATURE-----\r\n\r\nabc\r\n-----END PGP SIGNATURE-----\r\n',
        );
      },
    });
    const unsigned = await commitObject({
      tree: helloTree,
      parents: [],
      author: bot(0),
      message: 'signed',
    });
    expect(payloads).toEqual([unsigned.body.toString()]);
    expect(signed.body.toString()).toBe(
      `tree ${helloTree}\nauthor bot <bot@x> 1700000000 +0000\ncommitter bot <bot@x> 1700000000 +0000\n` +
        'gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsigned\n',
    );
  });
});

/** Reads a pack back: each entry's type, size and inflated body, and checks the trailer. */
function unpack(pack: Buffer): { type: number; body: Buffer }[] {
  expect(pack.subarray(0, 4).toString()).toBe('PACK');
  expect(pack.readUInt32BE(4)).toBe(2);
  const count = pack.readUInt32BE(8);
  const sum = createHash('sha1').update(pack.subarray(0, -20)).digest();
  expect(pack.subarray(-20).equals(sum)).toBe(true);
  const out = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    let byte = pack[at++]!;
    const type = (byte >> 4) & 7;
    let size = byte & 15;
    for (let shift = 4; byte & 0x80; shift += 7) {
      byte = pack[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
    }
    const { buffer, engine } = inflateSync(pack.subarray(at, -20), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    expect(buffer.length).toBe(size);
    out.push({ type, body: buffer });
    at += engine.bytesWritten;
  }
  expect(at).toBe(pack.length - 20);
  return out;
}

describe('packfile', () => {
  it.each([
    ['no objects', []],
    [
      'a commit, a tree and blobs, one larger than a one-byte size',
      [
        blobObject('hello\n'),
        blobObject('x'.repeat(5000)),
        treeObject([{ mode: '100644', path: 'hello.txt', oid: hello }]),
      ],
    ],
  ])(
    'stores %s whole, with sizes, types and the checksum git checks',
    (_name, objects: GitObject[]) => {
      const types = { commit: 1, tree: 2, blob: 3 };
      const entries = unpack(packfile(objects));
      expect(entries).toEqual(objects.map((o) => ({ type: types[o.type], body: o.body })));
    },
  );
});
