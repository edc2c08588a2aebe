/**
 * Signing commits with an OpenPGP key: the autoscaler bot's `--signing-key FILE`. The
 * signatures are detached, armored and over the exact commit bytes, so plain
 * `git verify-commit` accepts them.
 */
import { readFile, stat } from 'node:fs/promises';
import type { SignCallback } from 'isomorphic-git';
import { createMessage, decryptKey, readKey, readPrivateKey, sign } from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { DbopsError, codes, stalled } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import { checkCredentialsMode } from './auth.js';

/** The environment variable holding the passphrase of a protected signing key. */
export const signingPassphraseVar = 'DBOPS_SIGNING_PASSPHRASE';

/**
 * A loaded signing key. Pass `{ onSign, signingKey }` to isomorphic-git's `commit` (it signs
 * only when `signingKey` is set): `signingKey` is the fingerprint, not key material, and
 * `onSign` ignores what isomorphic-git hands back and signs with the loaded key.
 */
export interface CommitSigner {
  /** Primary key fingerprint, upper-case hex (as `gpg --fingerprint` shows it). */
  fingerprint: string;
  /** The key's first user id, e.g. `dbops autoscaler <autoscaler@dbops.local>`. */
  userId: string;
  /** Same as `fingerprint`: a non-secret value for isomorphic-git's `signingKey` argument. */
  signingKey: string;
  /** Returns a detached armored signature over the payload. */
  onSign: SignCallback;
}

function keyError(file: string, message: string, hint: string): DbopsError {
  return stalled(codes.config, `signing key ${file} ${message}`, { hint });
}

async function readKeyFile(file: string): Promise<string> {
  try {
    checkCredentialsMode((await stat(file)).mode, file);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof DbopsError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw keyError(file, `cannot be read (${code})`, 'check the path and that dbops may read it');
  }
}

// openpgp's messages about malformed input can quote the input: none of them is passed on.
async function parseKey(file: string, armored: string): Promise<PrivateKey> {
  try {
    return await readPrivateKey({ armoredKey: armored });
  } catch {
    const isPublic = await readKey({ armoredKey: armored }).then(
      (k) => !k.isPrivate(),
      () => false,
    );
    throw isPublic
      ? keyError(
          file,
          'holds a public key',
          'give the private key: gpg --armor --export-secret-keys ID',
        )
      : keyError(
          file,
          'is not an armored OpenPGP private key',
          'export one with gpg --armor --export-secret-keys ID',
        );
  }
}

async function unlock(file: string, key: PrivateKey, env: NodeJS.ProcessEnv): Promise<PrivateKey> {
  if (key.isDecrypted()) return key;
  const passphrase = env[signingPassphraseVar];
  if (!passphrase) {
    throw keyError(file, 'is protected by a passphrase', `set ${signingPassphraseVar}`);
  }
  try {
    return await decryptKey({ privateKey: key, passphrase });
  } catch {
    throw keyError(file, 'cannot be unlocked', `check ${signingPassphraseVar}`);
  }
}

/**
 * Loads an armored OpenPGP private key for signing commits. The file must not be readable
 * by group or others (like the credentials file); a passphrase-protected key is unlocked
 * with DBOPS_SIGNING_PASSPHRASE from `opts.env` (default `process.env`). With `opts.clock`
 * the signature time comes from the clock; openpgp still salts every signature, so a signed
 * commit's id is not reproducible. Throws a config DbopsError, never quoting the key, when
 * the key cannot be read, unlocked or sign.
 */
export async function loadSigningKey(
  file: string,
  opts: { env?: NodeJS.ProcessEnv; clock?: Clock } = {},
): Promise<CommitSigner> {
  const key = await unlock(
    file,
    await parseKey(file, await readKeyFile(file)),
    opts.env ?? process.env,
  );
  try {
    await key.getSigningKey();
  } catch {
    throw keyError(
      file,
      'has no valid signing key',
      'use a key with signing capability that has not expired',
    );
  }
  const fingerprint = key.getFingerprint().toUpperCase();
  const clock = opts.clock;
  const onSign: SignCallback = async ({ payload }) => {
    const message = await createMessage({ binary: new TextEncoder().encode(payload) });
    // openpgp types its result through an optional peer package (web-stream-tools) that
    // is not installed; for an in-memory message it is an armored string.
    const signature = (await sign({
      message,
      signingKeys: key,
      detached: true,
      format: 'armored',
      ...(clock ? { date: new Date(clock.now()) } : {}),
    })) as unknown as string;
    return { signature };
  };
  return { fingerprint, userId: key.getUserIDs()[0] ?? '', signingKey: fingerprint, onSign };
}
