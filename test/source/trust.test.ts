import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import type { TreeEntry } from 'isomorphic-git';
import { generateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, type CommitSigner } from '../../src/source/signing.js';
import type { Deepen } from '../../src/source/trust-history.js';
import { loadTrustedKeys, type TrustedKeys } from '../../src/source/trust-keys.js';
import { verifyCommits } from '../../src/source/trust-verify.js';

const run = promisify(execFile);

describe('verifyCommits on real repositories', () => {
  let tmp: string;
  let gitdir: string;
  let gnupg: string;
  let bot: CommitSigner;
  let alice: CommitSigner;
  let stranger: CommitSigner;
  let keys: TrustedKeys;
  let base: string;
  let clock = Date.UTC(2026, 0, 1) / 1000;

  const native = (args: string[]) =>
    run('git', args, { env: { ...process.env, GNUPGHOME: gnupg, GIT_CONFIG_NOSYSTEM: '1' } });
  const gpg = (args: string[]) =>
    run('gpg', ['--batch', '--quiet', ...args], { env: { ...process.env, GNUPGHOME: gnupg } });

  async function makeSigner(name: string): Promise<CommitSigner> {
    const pair = await generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name, email: `${name}@example.com` }],
      format: 'armored',
    });
    await writeFile(join(tmp, `${name}.key`), pair.privateKey, { mode: 0o600 });
    await writeFile(join(tmp, `${name}.asc`), pair.publicKey);
    return loadSigningKey(join(tmp, `${name}.key`), { env: {} });
  }

  async function filesOf(oid: string, prefix = ''): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const e of (await git.readTree({ fs, gitdir, oid })).tree) {
      const path = prefix + e.path;
      if (e.type === 'tree') for (const [p, o] of await filesOf(e.oid, `${path}/`)) out.set(p, o);
      else out.set(path, e.oid);
    }
    return out;
  }

  async function writeTree(files: Map<string, string>): Promise<string> {
    const tree: TreeEntry[] = [];
    const dirs = new Map<string, Map<string, string>>();
    for (const [path, oid] of files) {
      const [head = '', ...rest] = path.split('/');
      if (rest.length === 0) tree.push({ mode: '100644', path, oid, type: 'blob' });
      else dirs.set(head, (dirs.get(head) ?? new Map<string, string>()).set(rest.join('/'), oid));
    }
    for (const [path, sub] of dirs)
      tree.push({ mode: '040000', path, oid: await writeTree(sub), type: 'tree' });
    return git.writeTree({ fs, gitdir, tree });
  }

  /** A commit on top of `parents[0]`'s files, without moving any branch. */
  async function commit(
    parents: string[],
    change: { files?: Record<string, string>; remove?: string[] },
    signer?: CommitSigner,
  ): Promise<string> {
    const first = parents[0];
    const files = first
      ? await filesOf((await git.readCommit({ fs, gitdir, oid: first })).commit.tree)
      : new Map<string, string>();
    for (const [path, text] of Object.entries(change.files ?? {}))
      files.set(path, await git.writeBlob({ fs, gitdir, blob: new TextEncoder().encode(text) }));
    for (const path of change.remove ?? []) files.delete(path);
    return git.commit({
      fs,
      gitdir,
      message: 'change\n',
      author: { name: 'T', email: 't@example.com', timestamp: (clock += 60), timezoneOffset: 0 },
      tree: await writeTree(files),
      parent: parents,
      noUpdateBranch: true,
      ...(signer ? { onSign: signer.onSign, signingKey: signer.signingKey } : {}),
    });
  }

  const never: Deepen = () => Promise.reject(new Error('a full clone never needs to deepen'));
  const verify = (from: string | undefined, to: string, subPath?: string) =>
    verifyCommits({ gitdir, from, to, keys, subPath, deepen: never });
  const refused = (commit: string, reason: string) => ({
    ok: false,
    commit,
    reason: `commit ${commit.slice(0, 7)} ${reason}`,
  });

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-trust-'));
    gitdir = join(tmp, 'repo.git');
    gnupg = join(tmp, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    [bot, alice, stranger] = [
      await makeSigner('dbops-bot'),
      await makeSigner('alice'),
      await makeSigner('stranger'),
    ];
    await writeFile(
      join(tmp, 'trusted.yaml'),
      "keys:\n  - { name: dbops-bot, role: bot, publicKeyFile: dbops-bot.asc }\n  - { name: alice, publicKeyFile: alice.asc, paths: ['**'] }\n",
    );
    keys = await loadTrustedKeys(join(tmp, 'trusted.yaml'));
    await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
    base = await commit([], {
      files: { 'databases/cache.yaml': 'kind: Redis\n', 'README.md': 'x\n' },
    });
  });
  afterAll(async () => {
    await run('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: gnupg } }).catch(
      () => undefined,
    );
    await rm(tmp, { recursive: true, force: true });
  });

  it('signs commits that plain git verify-commit accepts, and refuses tampered ones', async () => {
    await run('gpg', ['--version']).catch(() => {
      throw new Error('gpg is not installed: apt-get install -y gnupg');
    });
    await gpg(['--import', join(tmp, 'dbops-bot.asc'), join(tmp, 'alice.asc')]);
    const byBot = await commit([base], { files: { 'ops/a.yaml': 'kind: X\n' } }, bot);
    const byAlice = await commit(
      [byBot],
      { files: { 'databases/cache.yaml': 'kind: Redis # 2\n' } },
      alice,
    );
    for (const [oid, signer] of [
      [byBot, bot],
      [byAlice, alice],
    ] as const) {
      const { stderr } = await native([`--git-dir=${gitdir}`, 'verify-commit', '--raw', oid]);
      expect(stderr).toContain(`[GNUPG:] VALIDSIG ${signer.fingerprint}`);
    }
    expect(await verify(base, byAlice)).toEqual({ ok: true, checked: 2 });

    const { commit: signed } = await git.readCommit({ fs, gitdir, oid: byBot });
    const tampered = await git.writeCommit({
      fs,
      gitdir,
      commit: { ...signed, message: 'tampered\n' },
    });
    await expect(native([`--git-dir=${gitdir}`, 'verify-commit', tampered])).rejects.toThrow();
    expect(await verify(base, tampered)).toEqual(
      refused(tampered, 'has a bad signature from dbops-bot (Signed digest did not match)'),
    );
  });

  it.each<[string, () => Promise<string>, string | undefined]>([
    [
      'an unsigned commit',
      () => commit([base], { files: { 'ops/u.yaml': 'u\n' } }),
      'is not signed',
    ],
    [
      'the bot editing a database',
      () => commit([base], { files: { 'databases/cache.yaml': 'kind: Redis # x\n' } }, bot),
      'by dbops-bot modifies databases/cache.yaml, outside its paths (adds ops/**)',
    ],
    [
      'the bot adding under ops/',
      () => commit([base], { files: { 'ops/2026/b.yaml': 'b\n' } }, bot),
      undefined,
    ],
    [
      'alice adding, changing and deleting anywhere',
      () =>
        commit(
          [base],
          { files: { 'x/new.txt': 'n\n', 'databases/cache.yaml': 'y\n' }, remove: ['README.md'] },
          alice,
        ),
      undefined,
    ],
  ])('%s', async (_name, make, reason) => {
    const to = await make();
    expect(await verify(base, to)).toEqual(
      reason === undefined ? { ok: true, checked: 1 } : refused(to, reason),
    );
  });

  it('refuses a commit signed by a key that is not trusted, naming the key', async () => {
    const to = await commit([base], { files: { 'ops/s.yaml': 's\n' } }, stranger);
    const keyId = `0x${stranger.fingerprint.slice(-16)}`;
    expect(await verify(base, to)).toEqual(
      refused(to, `is signed by key ${keyId}, which is not trusted`),
    );
  });

  it('names the bad commit in the middle of a range', async () => {
    const one = await commit([base], { files: { 'ops/1.yaml': '1\n' } }, bot);
    const two = await commit(
      [one],
      { files: { 'databases/cache.yaml': 'kind: Redis # 2\n' } },
      bot,
    );
    const three = await commit([two], { files: { 'README.md': 'three\n' } }, alice);
    expect(await verify(base, three)).toEqual(
      refused(two, 'by dbops-bot modifies databases/cache.yaml, outside its paths (adds ops/**)'),
    );
    expect(await verify(two, three)).toEqual({ ok: true, checked: 1 });
    expect(await verify(undefined, three)).toEqual({ ok: true, checked: 1 });
    expect(await verify(three, three)).toEqual({ ok: true, checked: 0 });
  });

  it('checks both sides of a merge, and the merge against its first parent', async () => {
    const side = await commit([base], { files: { 'docs/a.md': 'a\n' } });
    const main = await commit([base], { files: { 'ops/m.yaml': 'm\n' } }, bot);
    const merge = await commit([main, side], { files: { 'docs/a.md': 'a\n' } }, alice);
    expect(await verify(main, merge)).toEqual(refused(side, 'is not signed'));
    const botMerge = await commit([main, side], { files: { 'docs/a.md': 'a\n' } }, bot);
    expect(await verify(side, botMerge)).toEqual(
      refused(botMerge, 'by dbops-bot adds docs/a.md, outside its paths (adds ops/**)'),
    );
  });

  it('takes key paths relative to the watched sub-path and ignores changes outside it', async () => {
    const deploy = await commit(
      [base],
      { files: { 'deploy/ops/a.yaml': 'a\n', 'other/x.txt': 'x\n' } },
      bot,
    );
    expect(await verify(base, deploy, 'deploy')).toEqual({ ok: true, checked: 1 });
    expect(await verify(base, deploy)).toEqual(
      refused(deploy, 'by dbops-bot adds deploy/ops/a.yaml, outside its paths (adds ops/**)'),
    );
  });

  it('reports a commit missing from a complete clone without deepening', async () => {
    const gone = 'f'.repeat(40);
    expect(await verify(gone, base)).toEqual({
      ok: false,
      commit: gone,
      reason: 'commit fffffff is missing from the repository; was the branch rewritten?',
    });
  });
});
