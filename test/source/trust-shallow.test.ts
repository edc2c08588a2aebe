import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import git from 'isomorphic-git';
import { generateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSigningKey, type CommitSigner } from '../../src/source/signing.js';
import type { Deepen } from '../../src/source/trust-history.js';
import { loadTrustedKeys, type TrustedKeys } from '../../src/source/trust-keys.js';
import { verifyCommits } from '../../src/source/trust-verify.js';

const run = promisify(execFile);
const native = (args: string[]) =>
  run('git', args, { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });

// The controller's cache is a depth-1 clone: the commits since the last applied revision
// arrive only through the deepen callback.
describe('verifyCommits on a shallow clone', () => {
  let tmp: string;
  let dir: string;
  let bot: CommitSigner;
  let keys: TrustedKeys;
  const oids: string[] = [];

  async function commit(path: string, signer: CommitSigner): Promise<string> {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), `${path}\n`);
    await git.add({ fs, dir, filepath: path });
    const timestamp = Date.UTC(2026, 0, 1) / 1000 + 60 * oids.length;
    return git.commit({
      fs,
      dir,
      message: `add ${path}\n`,
      author: { name: 'Tester', email: 'tester@example.com', timestamp, timezoneOffset: 0 },
      onSign: signer.onSign,
      signingKey: signer.signingKey,
    });
  }

  async function shallowClone(name: string): Promise<string> {
    const gitdir = join(tmp, name);
    await native([
      'clone',
      '--quiet',
      '--bare',
      '--depth=1',
      `file://${join(dir, '.git')}`,
      gitdir,
    ]);
    return gitdir;
  }

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-trust-shallow-'));
    dir = join(tmp, 'work');
    const pair = await generateKey({
      type: 'ecc',
      curve: 'curve25519Legacy',
      userIDs: [{ name: 'dbops-bot', email: 'bot@example.com' }],
      format: 'armored',
    });
    await writeFile(join(tmp, 'bot.key'), pair.privateKey, { mode: 0o600 });
    await writeFile(join(tmp, 'bot.asc'), pair.publicKey);
    bot = await loadSigningKey(join(tmp, 'bot.key'), { env: {} });
    await writeFile(
      join(tmp, 'trusted.yaml'),
      'keys:\n  - { name: dbops-bot, role: bot, publicKeyFile: bot.asc }\n',
    );
    keys = await loadTrustedKeys(join(tmp, 'trusted.yaml'));
    await git.init({ fs, dir, defaultBranch: 'main' });
    for (const n of [1, 2, 3, 4]) oids.push(await commit(`ops/${n}.yaml`, bot));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('deepens until the commits it needs are there', async () => {
    const gitdir = await shallowClone('shallow.git');
    const [, from, , to] = oids as [string, string, string, string];
    const asked: string[] = [];
    const deepen: Deepen = async (oid) => {
      asked.push(oid);
      await native([`--git-dir=${gitdir}`, 'fetch', '--quiet', '--deepen=1', 'origin', 'main']);
    };
    expect(await verifyCommits({ gitdir, from, to, keys, deepen })).toEqual({
      ok: true,
      checked: 2,
    });
    expect(new Set(asked)).toEqual(new Set([from]));
  });

  it('fails clearly when deepening does not bring the commit', async () => {
    const gitdir = await shallowClone('stuck.git');
    const [, from, , to] = oids as [string, string, string, string];
    let calls = 0;
    const deepen: Deepen = () => {
      calls++;
      return Promise.resolve();
    };
    expect(await verifyCommits({ gitdir, from, to, keys, deepen })).toEqual({
      ok: false,
      commit: from,
      reason: `commit ${from.slice(0, 7)} is missing from the local clone, even after fetching more history`,
    });
    expect(calls).toBe(1);
  });
});
