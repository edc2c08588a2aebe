import { chmod, mkdir } from 'node:fs/promises';
import { readJson, writeJsonAtomic } from '../../platform/files.js';
import type { Credentials } from '../runtime.js';
import type { Layout } from './layout.js';

/** Reads a database's credentials; undefined when none were generated. */
export function readCredentials(layout: Layout, db: string): Promise<Credentials | undefined> {
  return readJson<Credentials>(layout.credentialsFile(db));
}

/**
 * Records the credentials a database runs with in credentials.json, mode 0600 inside a 0700
 * directory. Called once, when nothing is recorded yet.
 */
export async function writeCredentials(
  layout: Layout,
  db: string,
  creds: Credentials,
): Promise<void> {
  const dir = layout.dbDir(db);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeJsonAtomic(layout.credentialsFile(db), creds, { mode: 0o600 });
}
