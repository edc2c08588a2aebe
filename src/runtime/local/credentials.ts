import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import type { DatabaseKind } from '../../api/desired.js';
import { readJson, writeJsonAtomic } from '../../platform/files.js';
import type { Credentials } from '../runtime.js';
import type { Layout } from './layout.js';

/** The login dbops creates: `default` for Redis (its ACL default user), `postgres` for Postgres. */
export function usernameFor(kind: DatabaseKind): string {
  return kind === 'Redis' ? 'default' : 'postgres';
}

/** Reads a database's credentials; undefined when none were generated. */
export function readCredentials(layout: Layout, db: string): Promise<Credentials | undefined> {
  return readJson<Credentials>(layout.credentialsFile(db));
}

/**
 * Returns the database's credentials, generating them on first use: 32 random bytes,
 * base64url, in credentials.json with mode 0600 inside a 0700 directory.
 */
export async function ensureCredentialsFile(
  layout: Layout,
  db: string,
  kind: DatabaseKind,
): Promise<Credentials> {
  const existing = await readCredentials(layout, db);
  if (existing) return existing;
  const dir = layout.dbDir(db);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const creds: Credentials = {
    username: usernameFor(kind),
    password: randomBytes(32).toString('base64url'),
  };
  await writeJsonAtomic(layout.credentialsFile(db), creds, { mode: 0o600 });
  return creds;
}
