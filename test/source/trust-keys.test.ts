import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, readSignature } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { loadSigningKey } from '../../src/source/signing.js';
import { checkSignature, loadTrustedKeys } from '../../src/source/trust-keys.js';

const day = 86_400_000;

/** Awaits a promise that must reject with a config DbopsError, and returns it. */
async function configError(p: Promise<unknown>): Promise<DbopsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DbopsError);
  expect(err).toMatchObject({ code: codes.config, retry: 'stalled' });
  return err as DbopsError;
}

describe('loading signing and trusted keys', () => {
  let tmp: string;
  let plain: { privateKey: string; publicKey: string };
  let locked: { privateKey: string; publicKey: string };
  const file = (name: string) => join(tmp, name);
  const secretOf = (armored: string) => armored.split('\n').slice(3, 5).join('\n');

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-keys-'));
    const userIDs = [{ name: 'dbops autoscaler', email: 'autoscaler@dbops.local' }];
    // Created two days ago, so that a signature made at yesterday's clock is valid now.
    const date = new Date(Date.now() - 2 * day);
    plain = await generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs, date });
    locked = await generateKey({ type: 'ecc', userIDs, passphrase: 'open sesame' });
    await writeFile(file('bot.key'), plain.privateKey, { mode: 0o600 });
    await writeFile(file('bot.asc'), plain.publicKey);
    await writeFile(file('open.key'), plain.privateKey);
    await chmod(file('open.key'), 0o644);
    await writeFile(file('locked.key'), locked.privateKey, { mode: 0o600 });
    await writeFile(file('public.key'), plain.publicKey, { mode: 0o600 });
    await writeFile(file('junk.key'), 'not a key\n', { mode: 0o600 });
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('loads an unencrypted key and signs at the time of the clock', async () => {
    const clock = new ManualClock(Math.floor((Date.now() - day) / 1000) * 1000);
    const signer = await loadSigningKey(file('bot.key'), { env: {}, clock });
    expect(signer.userId).toBe('dbops autoscaler <autoscaler@dbops.local>');
    expect(signer.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(signer.signingKey).toBe(signer.fingerprint);
    const payload = 'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmessage\n';
    const first = await signer.onSign({ payload, secretKey: '' });
    expect(first.signature).toMatch(/^-----BEGIN PGP SIGNATURE-----/);
    const sig = await readSignature({ armoredSignature: first.signature });
    expect(sig.packets[0]?.created).toEqual(new Date(clock.now()));
    await writeFile(
      file('trusted.yaml'),
      'keys: [{ name: bot, role: bot, publicKeyFile: bot.asc }]\n',
    );
    const keys = await loadTrustedKeys(file('trusted.yaml'));
    expect(keys.keys.map((k) => [k.name, k.fingerprint])).toEqual([['bot', signer.fingerprint]]);
    expect(await checkSignature(payload, first.signature, keys)).toMatchObject({ ok: true });
    expect(await checkSignature(`${payload}x`, first.signature, keys)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^has a bad signature from bot/) as unknown,
    });
  });

  it('unlocks a protected key with DBOPS_SIGNING_PASSPHRASE', async () => {
    const env = { DBOPS_SIGNING_PASSPHRASE: 'open sesame' };
    const signer = await loadSigningKey(file('locked.key'), { env });
    expect((await signer.onSign({ payload: 'x\n', secretKey: '' })).signature).toContain('PGP');
  });

  it.each<[string, string, Record<string, string>, RegExp, string]>([
    [
      'a readable key file',
      'open.key',
      {},
      /accessible by group or others \(mode 644\)/,
      'chmod 600',
    ],
    [
      'a missing file',
      'nothing.key',
      {},
      /signing key .*nothing\.key cannot be read \(ENOENT\)/,
      'path',
    ],
    ['a public key', 'public.key', {}, /holds a public key/, '--export-secret-keys'],
    ['junk', 'junk.key', {}, /is not an armored OpenPGP private key/, '--export-secret-keys'],
    ['no passphrase', 'locked.key', {}, /is protected by a passphrase/, 'DBOPS_SIGNING_PASSPHRASE'],
    [
      'a wrong passphrase',
      'locked.key',
      { DBOPS_SIGNING_PASSPHRASE: 'wrong' },
      /cannot be unlocked/,
      'DBOPS_SIGNING_PASSPHRASE',
    ],
  ])('refuses %s, without quoting the key', async (_name, name, env, message, hint) => {
    const err = await configError(loadSigningKey(file(name), { env }));
    expect(err.message).toMatch(message);
    expect(err.hint).toContain(hint);
    const shown = `${err.message} ${err.hint} ${JSON.stringify(err)} ${String(err.cause)}`;
    for (const key of [plain.privateKey, plain.publicKey, locked.privateKey])
      expect(shown).not.toContain(secretOf(key));
  });

  it.each<[string, string, Record<string, string>, RegExp]>([
    [
      'a private key where the public one belongs',
      'keys:\n  - name: bot\n    role: bot\n    publicKeyFile: bot.key\n',
      {},
      /^trusted\.yaml:4 keys\[0\]\.publicKeyFile: bot\.key holds a private key/,
    ],
    [
      'a missing public key file',
      'keys:\n  - name: bot\n    role: bot\n    publicKeyFile: gone.asc\n',
      {},
      /^trusted\.yaml:4 keys\[0\]\.publicKeyFile: cannot read gone\.asc \(ENOENT\)/,
    ],
    [
      'the same key twice',
      'keys:\n  - { name: a, role: bot, publicKeyFile: bot.asc }\n  - { name: b, role: bot, publicKeyFile: bot.asc }\n',
      {},
      /^trusted\.yaml:3 keys\[1\]\.publicKeyFile: is the same key as a/,
    ],
    [
      'two problems',
      'keys:\n  - { name: a, publicKeyFile: bot.asc }\n  - { name: b, role: bot, publicKey: x, publicKeyFile: bot.asc }\n',
      {},
      /^trusted\.yaml:2 keys\[0\]: paths is required.*\n.*trusted\.yaml:3: keys\[1\]: set exactly one of publicKey/,
    ],
  ])('refuses a trusted-keys file with %s', async (_name, text, _env, want) => {
    await writeFile(file('trusted.yaml'), text);
    const err = await configError(loadTrustedKeys(file('trusted.yaml')));
    const shown = `${err.location?.file.replace(`${tmp}/`, '')}:${err.location?.line} ${err.location?.field}: ${err.message}`;
    expect(shown).toMatch(want);
    expect(shown).not.toContain(secretOf(plain.privateKey));
  });

  it('refuses a missing trusted-keys file', async () => {
    const err = await configError(loadTrustedKeys(file('none.yaml')));
    expect(err.message).toMatch(/cannot read trusted-keys file .*none\.yaml \(ENOENT\)/);
  });
});
