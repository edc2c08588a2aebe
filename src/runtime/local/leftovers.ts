import { readFile, readdir, realpath } from 'node:fs/promises';
import type { Clock } from '../../platform/clock.js';
import { Layout } from './layout.js';
import { readMounts, runTool, type MountEntry } from './loop-volume.js';
import { processesWithArgUnder, stopProcess } from './proc.js';

// `dbops down` first stops the members and releases their volumes the ordinary way
// (Runtime.close with stopMembers); this sweeps what a controller killed in the middle of
// something can leave besides: a scratch server of a config validation, the test image of a
// loop probe. Everything here is bounded by the state dir.

/** What releaseLeftovers found and released. */
export interface Leftovers {
  /** Pids of scratch servers stopped. */
  processes: number[];
  /** Loop mounts unmounted. */
  unmounted: string[];
  /** Loop devices detached. */
  detached: string[];
}

const realOf = (path: string) => realpath(path).catch(() => path);

/** Mounts below `dir`, deepest first, so a stack of mounts comes off top first. */
export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  const root = await realOf(dir);
  return (await readMounts())
    .filter((m) => m.mountPoint.startsWith(`${root}/`))
    .reverse()
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length);
}

// Loop devices whose backing file lies below `dir`, mounted or only attached.
async function loopDevicesUnder(dir: string): Promise<string[]> {
  const root = await realOf(dir);
  const devices: string[] = [];
  for (const name of await readdir('/sys/block').catch(() => [] as string[])) {
    if (!name.startsWith('loop')) continue;
    const file = `/sys/block/${name}/loop/backing_file`;
    const backing = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (backing.replace(/ \(deleted\)$/, '').startsWith(`${root}/`)) devices.push(`/dev/${name}`);
  }
  return devices;
}

/**
 * Unmounts every loop-device filesystem mounted below `dir` and detaches every loop device
 * backed by a file below it; other mounts are left alone. Returns what it released; a mount
 * that refuses (busy) is an error naming it.
 */
export async function releaseLoopsUnder(
  dir: string,
): Promise<{ unmounted: string[]; detached: string[] }> {
  const unmounted: string[] = [];
  for (const m of await mountsUnder(dir)) {
    if (!m.source.startsWith('/dev/loop')) continue;
    await runTool('umount', [m.mountPoint]);
    unmounted.push(m.mountPoint);
  }
  const detached: string[] = [];
  const mounted = new Set((await readMounts()).map((m) => m.source));
  for (const dev of await loopDevicesUnder(dir)) {
    if (mounted.has(dev)) continue; // also mounted outside the state dir: not ours to pull
    await runTool('losetup', ['-d', dev]);
    detached.push(dev);
  }
  return { unmounted, detached };
}

/**
 * Stops the scratch servers left in the state dir's scratch space (SIGTERM, SIGKILL after
 * 5 s), then releases every loop mount and device of the state dir. Run after the members
 * were stopped; returns what it found, all empty after a clean stop.
 */
export async function releaseLeftovers(stateDir: string, clock: Clock): Promise<Leftovers> {
  // Their command lines name the path as the controller spelled it, not always the real one.
  const scratch = new Layout(stateDir).scratchDir();
  const processes = new Set<number>();
  for (const dir of new Set([scratch, await realOf(scratch)])) {
    for (const pid of await processesWithArgUnder(dir)) processes.add(pid);
  }
  for (const pid of processes) await stopProcess(clock, pid, 'SIGTERM', 5_000);
  return { processes: [...processes], ...(await releaseLoopsUnder(stateDir)) };
}
