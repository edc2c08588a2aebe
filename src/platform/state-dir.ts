import { mkdir } from 'node:fs/promises';

/**
 * Creates the state dir when missing, mode 0711: other users may traverse it (Postgres
 * members run as the postgres user when dbops runs as root) but not list it; the secrets
 * inside are 0600 files in 0700 directories.
 */
export async function ensureStateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o711 });
}
