import { appendFile, chown, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestPostgres } from '../../helpers/postgres-server.js';

/** The runtime-owned configuration file of a test Postgres, included from postgresql.conf. */
export interface DbopsConf {
  path: string;
  /** Replaces the file's content (what the runtime does before it asks for a reload). */
  write(text: string): Promise<void>;
}

/**
 * Adds `include 'dbops.conf'` to the server's postgresql.conf and creates the file empty,
 * owned by the data dir's owner (Postgres runs unprivileged and must read it).
 */
export async function includeDbopsConf(server: TestPostgres): Promise<DbopsConf> {
  const { uid, gid } = await stat(server.dataDir);
  const path = join(server.dataDir, 'dbops.conf');
  const write = async (text: string) => {
    await writeFile(path, text, { mode: 0o600 });
    await chown(path, uid, gid);
  };
  await write('');
  await appendFile(join(server.dataDir, 'postgresql.conf'), "\ninclude 'dbops.conf'\n");
  return { path, write };
}
