import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { codes, stalled } from '../errors.js';

/**
 * Takes the state dir for this process: one controller per state dir. A lock left by a
 * process that no longer exists (kill -9) is taken over. Returns a release function.
 */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  const path = join(stateDir, 'controller.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid > 0 && pid !== process.pid && alive(pid)) {
        throw stalled(
          codes.stateLocked,
          `another dbops controller (pid ${pid}) uses the state dir ${stateDir}`,
          { hint: 'stop it first, or give this one its own --state-dir (or DBOPS_STATE_DIR)' },
        );
      }
      await rm(path, { force: true });
    }
  }
  throw stalled(codes.stateLocked, `cannot lock the state dir ${stateDir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
