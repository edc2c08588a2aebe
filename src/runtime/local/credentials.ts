import { chmod, mkdir } from 'node:fs/promises';
import { readJson, writeJsonAtomic } from '../../platform/files.js';
import type { Credentials } from '../runtime.js';
import type { Layout } from './layout.js';

/** Reads a database's credentials; undefined when none were generated. */
export function readCredentials(layout: Layout, db: string): Promise<Credentials | undefined> {
  return readJson<Credentials>(layout.credentialsFile(db));
}

/**
 * Returns the credentials the database runs with, recording `wanted()` on first use (generated,
 * or read from the Secret the manifest names) in credentials.json with mode 0600 inside a 0700
 * directory.
 */
export async function ensureCredentialsFile(
  layout: Layout,
  db: string,
  wanted: () => Credentials,
): Promise<Credentials> {
  const existing = await readCredentials(layout, db);
  if (existing) return existing;
  const dir = layout.dbDir(db);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const creds = wanted();
  await writeJsonAtomic(layout.credentialsFile(db), creds, { mode: 0o600 });
  return creds;
}
