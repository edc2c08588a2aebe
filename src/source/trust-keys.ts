/**
 * Trusted keys: loading the trusted-keys file with its public keys, and checking which
 * trusted key (if any) made a commit's OpenPGP signature.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createMessage, readKeys, readSignature, verify } from 'openpgp';
import type { PublicKey, Signature } from 'openpgp';
import { codes, stalled, type DbopsError } from '../errors.js';
import { formatTrustProblem, parseTrustedKeys } from './trust-file.js';
import type { TrustProblem, TrustedKeyEntry } from './trust-file.js';
import type { KeyScope } from './trust.js';

/** A key whose signatures dbops trusts, limited to its paths. */
export interface TrustedKey extends KeyScope {
  /** Primary key fingerprint, upper-case hex. */
  fingerprint: string;
  publicKey: PublicKey;
}

/** The loaded trusted-keys file. */
export interface TrustedKeys {
  file: string;
  keys: readonly TrustedKey[];
}

function fileError(problems: readonly TrustProblem[]): DbopsError {
  const [first, ...rest] = problems as [TrustProblem, ...TrustProblem[]];
  const more = rest.length > 0 ? `\n${rest.map(formatTrustProblem).join('\n')}` : '';
  return stalled(codes.config, `${first.message}${more}`, {
    location: {
      file: first.file,
      line: first.line,
      ...(first.field ? { field: first.field } : {}),
    },
    hint: 'fix the trusted-keys file: keys: [{ name, publicKey or publicKeyFile, paths }]',
  });
}

async function readText(path: string): Promise<string | { code: string }> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    return { code: (err as NodeJS.ErrnoException).code ?? 'error' };
  }
}

/** The entry's public key, or what is wrong with it. */
async function readEntryKey(entry: TrustedKeyEntry, base: string): Promise<PublicKey | string> {
  const source = entry.publicKey;
  const where = 'file' in source ? source.file : 'the publicKey text';
  let armored: string;
  if ('file' in source) {
    const text = await readText(resolve(base, source.file));
    if (typeof text !== 'string') return `cannot read ${where} (${text.code})`;
    armored = text;
  } else armored = source.armored;
  // openpgp's parse errors can quote their input: say what is wrong in our own words.
  const keys = await readKeys({ armoredKeys: armored }).catch(() => undefined);
  if (keys === undefined)
    return `${where} is not an armored OpenPGP public key (gpg --armor --export ID)`;
  if (keys.length !== 1) return `${where} holds ${keys.length} keys: give one key per entry`;
  const key = keys[0] as PublicKey;
  if (key.isPrivate())
    return `${where} holds a private key: give only the public key (gpg --armor --export ID)`;
  return key;
}

/**
 * Reads and validates a trusted-keys file and the public keys it names (`publicKeyFile` is
 * relative to the file). Throws a config DbopsError located at the first problem (its
 * message lists the others as `file:line: field: message`).
 */
export async function loadTrustedKeys(file: string): Promise<TrustedKeys> {
  const text = await readText(file);
  if (typeof text !== 'string') {
    throw stalled(codes.config, `cannot read trusted-keys file ${file} (${text.code})`, {
      hint: 'check the path given to --trusted-keys',
    });
  }
  const parsed = parseTrustedKeys(text, file);
  if (!parsed.ok) throw fileError(parsed.problems);
  const problems: TrustProblem[] = [];
  const keys: TrustedKey[] = [];
  const seen = new Map<string, string>();
  for (const [i, entry] of parsed.entries.entries()) {
    const key = await readEntryKey(entry, dirname(file));
    const field = `keys[${i}].${'file' in entry.publicKey ? 'publicKeyFile' : 'publicKey'}`;
    const at = (message: string) => problems.push({ file, line: entry.keyLine, field, message });
    if (typeof key === 'string') {
      at(key);
      continue;
    }
    const fingerprint = key.getFingerprint().toUpperCase();
    const other = seen.get(fingerprint);
    if (other !== undefined) at(`is the same key as ${other}: list each key once`);
    seen.set(fingerprint, entry.name);
    keys.push({ name: entry.name, paths: entry.paths, fingerprint, publicKey: key });
  }
  if (problems.length > 0) throw fileError(problems);
  return { file, keys };
}

/** A key id as people compare it with gpg's output: `0x` and 16 upper-case hex digits. */
function showKeyId(hex: string): string {
  return `0x${hex.toUpperCase()}`;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 200);
}

/**
 * Finds the trusted key that signed `payload` with the armored `gpgsig` and checks the
 * signature. Returns the key, or a reason phrased to follow "commit abc1234 ": `is not
 * signed`, `is signed by key 0x..., which is not trusted`, `has a bad signature from ...`.
 */
export async function checkSignature(
  payload: string,
  gpgsig: string | undefined,
  trusted: TrustedKeys,
): Promise<{ ok: true; key: TrustedKey } | { ok: false; reason: string }> {
  if (!gpgsig) return { ok: false, reason: 'is not signed' };
  if (!gpgsig.includes('-----BEGIN PGP SIGNATURE-----'))
    return {
      ok: false,
      reason: 'is not signed with OpenPGP (only OpenPGP signatures are trusted)',
    };
  let signature: Signature;
  try {
    signature = await readSignature({ armoredSignature: gpgsig });
  } catch (err) {
    return { ok: false, reason: `has an unreadable signature (${firstLine(err)})` };
  }
  const ids = signature.getSigningKeyIDs();
  let key: TrustedKey | undefined;
  for (const id of ids) key ??= trusted.keys.find((k) => k.publicKey.getKeys(id).length > 0);
  if (!key) {
    const by = ids.map((id) => showKeyId(id.toHex())).join(', ') || 'an unknown key';
    return { ok: false, reason: `is signed by key ${by}, which is not trusted` };
  }
  try {
    const message = await createMessage({ binary: new TextEncoder().encode(payload) });
    const result = await verify({ message, signature, verificationKeys: key.publicKey });
    for (const s of result.signatures) await s.verified;
    return { ok: true, key };
  } catch (err) {
    return { ok: false, reason: `has a bad signature from ${key.name} (${firstLine(err)})` };
  }
}
