import { chown, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceUser } from './proc.js';

// Volumes of type `directory`: a plain directory whose capacity dbops accounts for (member.json
// capacityBytes). Loop-mounted images are in loop-volume.ts; member-volume.ts picks per member.

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
