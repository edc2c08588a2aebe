import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes a file atomically: a temp file in the same directory, fsync, rename, fsync of the
 * directory. A reader sees the old content or the new one, never a torn file, even after
 * kill -9 or power loss. With `exclusive`, a file already there is kept as it is.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { mode?: number; exclusive?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // exclusive: link, not rename, so a file put there meanwhile is never overwritten.
    if (opts.exclusive) await link(tmp, path);
    else await rename(tmp, path);
  } catch (err) {
    if (!opts.exclusive || (err as NodeJS.ErrnoException).code !== 'EEXIST') {
      await rm(tmp, { force: true });
      throw err;
    }
  }
  if (opts.exclusive) await rm(tmp, { force: true });
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Reads and parses a JSON file; undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

/** Writes a value as pretty JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown, opts: { mode?: number } = {}) {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', opts);
}

/** True when `path` exists (and, with `mode`, is accessible that way, e.g. X_OK). */
export async function pathExists(path: string, mode: number = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}
