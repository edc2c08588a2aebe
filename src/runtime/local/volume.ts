import { chown, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { VolumeStatus } from '../runtime.js';
import type { ServiceUser } from './proc.js';

// Volumes of type `directory`: a plain directory whose capacity dbops accounts for. Loop-mounted
// filesystem images (DESIGN §4) will be a second implementation next to this one.

/** Creates a member's volume directory (owned by the service user when given). Idempotent. */
export async function ensureDirectoryVolume(path: string, owner?: ServiceUser): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (owner) await chown(path, owner.uid, owner.gid);
}

/** Total size in bytes of the regular files under `path`; 0 when it does not exist. */
export async function directorySize(path: string): Promise<number> {
  let total = 0;
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop() as string;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue; // vanished while walking (e.g. a WAL segment recycled)
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        try {
          total += (await lstat(p)).size;
        } catch {
          // vanished while walking
        }
      }
    }
  }
  return total;
}

/** The status of a directory volume: capacity from the spec, usage from a walk of the data. */
export async function directoryVolume(path: string, capacityBytes: number): Promise<VolumeStatus> {
  return { path, type: 'directory', capacityBytes, usedBytes: await directorySize(path) };
}
