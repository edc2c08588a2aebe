import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { codes, stalled, transient } from '../../errors.js';
import { pathExists } from '../../platform/files.js';
import { silentLogger, type Logger } from '../../platform/logger.js';

// Volumes of type `loop`: a sparse XFS image per member, loop-mounted, grown online (ext4 is
// refused online growth by this kernel). XFS over btrfs, both measured here (both grow online in
// ~15 ms): XFS statfs keeps used + available == size, so usage % is true, while a 300 MiB btrfs
// image hid 25 % of its size in neither (DUP metadata, chunks); btrfs copy-on-write fragments
// database files and hits ENOSPC early; xfsprogs is installed, btrfs-progs is not. The price:
// images are >= 300 MiB (mkfs.xfs refuses less, ~247 MB usable) and mkfs writes a 64 MiB log.

/** Filesystems a loop volume could use; this module formats XFS. */
export type LoopFs = 'xfs' | 'btrfs';

/** Whether this machine can run loop volumes, and why not when it cannot. */
export interface LoopVolumeSupport {
  supported: boolean;
  reason?: string;
  fs: LoopFs;
}

/** A member's volume: its image file, where it is mounted, the size asked (bytes). */
export type LoopVolumeOpts = { image: string; mountPoint: string; bytes: number; log: Logger };

/** Size and use of a mounted volume's filesystem in bytes (XFS: used + free == capacity). */
export type LoopUsage = { capacityBytes: number; usedBytes: number };

const MIB = 1024 * 1024;
const BLOCK = 4096;
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const PACKAGE: Record<string, string> = { 'mkfs.xfs': 'xfsprogs', xfs_growfs: 'xfsprogs' };
const install = (tool: string) => `apt-get install -y ${PACKAGE[tool] ?? 'mount'}`;

// The absolute path of `tool` on PATH or in sbin (a non-login PATH may lack it); else undefined.
async function findTool(tool: string): Promise<string | undefined> {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SBIN]) {
    if (await pathExists(join(dir, tool), constants.X_OK)) return join(dir, tool);
  }
  return undefined;
}

/** Runs a system tool without a shell; a missing tool or a failure is a DbopsError naming it. */
export async function runTool(tool: string, args: string[]): Promise<{ stdout: string }> {
  const path = await findTool(tool);
  if (!path)
    throw stalled(codes.prerequisite, `${tool} is not installed`, {
      hint: `run: ${install(tool)}`,
    });
  const env = { PATH: `${SBIN.join(':')}:/usr/bin:/bin`, LANG: 'C' };
  try {
    return await promisify(execFile)(path, args, { env });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const why = (e.stderr || e.message).trim().split('\n').slice(-3).join(' / ');
    throw transient(codes.processFailed, `${tool} ${args.join(' ')} failed: ${why}`, {
      cause: err,
      hint: 'loop volumes need root and the loop driver (modprobe loop)',
    });
  }
}

/** Smallest image mkfs accepts for `fs` (mkfs.xfs: 300 MiB; mkfs.btrfs: ~109 MiB). Pure. */
export function minimumLoopBytes(fs: LoopFs): number {
  return fs === 'xfs' ? 300 * MIB : 110 * MIB;
}

/** Image size for a volume asked `bytes`: rounded up to 4 KiB and at least the minimum. Pure. */
export function loopImageBytes(bytes: number, fs: LoopFs = 'xfs'): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw stalled(codes.invalidQuantity, `volume size ${bytes} is invalid`, {
      hint: 'use a positive size',
    });
  }
  return Math.max(minimumLoopBytes(fs), Math.ceil(bytes / BLOCK) * BLOCK);
}

/** One line of /proc/self/mountinfo, reduced to what loop volumes need. */
export type MountEntry = { mountPoint: string; fsType: string; source: string };

const unescape = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses /proc/self/mountinfo text (optional fields skipped, octal escapes decoded). Pure. */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6); // after the optional fields
    const [mp, fsType, source] = [f[4], f[sep + 1], f[sep + 2]];
    if (sep < 0 || !mp || !fsType || !source) continue;
    out.push({ mountPoint: unescape(mp), fsType, source: unescape(source) });
  }
  return out;
}

/** The mount table of this process (/proc/self/mountinfo), in mount order. */
export async function readMounts(): Promise<MountEntry[]> {
  return parseMountInfo(await fsp.readFile('/proc/self/mountinfo', 'utf8'));
}
const real = (path: string) => fsp.realpath(path).catch(() => path);

/** The loop device mounted at `mountPoint` from `image`; undefined when nothing is mounted. */
async function mountedDevice(image: string, mountPoint: string): Promise<string | undefined> {
  const at = await real(mountPoint);
  // The last entry wins: it is the top of a stack of mounts on the same path.
  const entry = (await readMounts()).filter((m) => m.mountPoint === at).pop();
  if (!entry) return undefined;
  const sys = `/sys/block/${basename(entry.source)}/loop/backing_file`;
  const backing = entry.source.startsWith('/dev/loop')
    ? (await fsp.readFile(sys, 'utf8').catch(() => '')).trim().replace(/ \(deleted\)$/, '')
    : '';
  if (backing !== (await real(image))) {
    const what = `${mountPoint} has ${entry.source} (${entry.fsType}) mounted, not ${image}`;
    throw stalled(codes.stateCorrupt, what, { hint: `unmount it: umount ${mountPoint}` });
  }
  return entry.source;
}

/** Capacity and usage of a mounted volume, as df shows them (statfs). */
export async function loopUsage(mountPoint: string): Promise<LoopUsage> {
  const s = await fsp.statfs(mountPoint);
  return { capacityBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
}

// Truncates (only ever upwards: sparse, no data blocks) and fsyncs.
async function extend(path: string, bytes: number, flags: string): Promise<void> {
  const fh = await fsp.open(path, flags, 0o600);
  try {
    if (bytes > (await fh.stat()).size) await fh.truncate(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function formatImage(image: string, bytes: number): Promise<void> {
  // mkfs into a temp file, then rename: a crash leaves either no image or a complete one.
  const tmp = `${image}.tmp`;
  await fsp.rm(tmp, { force: true });
  await extend(tmp, bytes, 'wx');
  await runTool('mkfs.xfs', ['-q', tmp]);
  await extend(tmp, 0, 'r'); // fsync what mkfs wrote before the rename publishes it
  await fsp.rename(tmp, image);
  await extend(dirname(image), 0, 'r');
}

async function mountImage(image: string, mountPoint: string): Promise<void> {
  // Mounting over files would hide them from the database: refuse instead of losing sight.
  const present = (await fsp.readdir(mountPoint)).slice(0, 3).join(', ');
  if (present) {
    const what = `cannot mount ${image} on ${mountPoint}: it is not empty (${present})`;
    throw stalled(codes.stateCorrupt, what, { hint: `move its files away, then retry` });
  }
  // allocsize=4k (one page) turns XFS's speculative preallocation off. Left on, an appended,
  // still-open file (the AOF, a TOAST segment) holds blocks past its end in proportion to its
  // size and the free space: right after a growfs an append took 110 MiB more than it wrote.
  // A fixed larger size is no better for Postgres, which keeps hundreds of small relation
  // files open: 1m made an idle primary use 128 MiB instead of 89. statfs counts those blocks
  // as used, and the autoscaler would expand because of them. Delayed allocation still lays
  // out what a flush writes in one extent.
  await runTool('mount', ['-o', 'loop,noatime,allocsize=4k', image, mountPoint]);
}

/**
 * Creates the image when it is new (sparse, XFS, at least the minimum size: the returned
 * capacity says what was made), then mounts it at `mountPoint` unless already mounted. An
 * existing image keeps its size: growLoopVolume grows it. Idempotent and crash-safe.
 */
export async function ensureLoopVolume(
  opts: LoopVolumeOpts,
): Promise<{ created: boolean; capacityBytes: number; imageBytes: number }> {
  const { image, mountPoint, log } = opts;
  const bytes = loopImageBytes(opts.bytes);
  await fsp.mkdir(dirname(image), { recursive: true, mode: 0o700 });
  await fsp.mkdir(mountPoint, { recursive: true, mode: 0o700 });
  const created = !(await pathExists(image));
  if (created) {
    if (bytes > opts.bytes) log.warn({ image, asked: opts.bytes, bytes }, 'loop image rounded up');
    await formatImage(image, bytes);
    log.info({ image, bytes }, 'loop image created');
  }
  if (!(await mountedDevice(image, mountPoint))) {
    await mountImage(image, mountPoint);
    log.info({ image, mountPoint }, 'loop image mounted');
  }
  const { capacityBytes } = await loopUsage(mountPoint);
  return { created, capacityBytes, imageBytes: (await fsp.stat(image)).size };
}

/**
 * Grows the image to `bytes` online: extend the file, refresh the loop device, grow XFS.
 * A smaller size changes nothing (volumes never shrink). Each step is idempotent, and the
 * last two always run, so a rerun after a crash at any step completes the growth. Mounts
 * the image first when it is not mounted. `grown` is true when the capacity increased.
 */
export async function growLoopVolume(
  opts: LoopVolumeOpts,
): Promise<{ grown: boolean; capacityBytes: number; imageBytes: number }> {
  const { image, mountPoint, log } = opts;
  const target = loopImageBytes(opts.bytes);
  if (!(await pathExists(image))) {
    throw stalled(codes.notFound, `loop image ${image} does not exist`, {
      hint: 'create it first',
    });
  }
  const device =
    (await mountedDevice(image, mountPoint)) ??
    (await mountImage(image, mountPoint).then(() => mountedDevice(image, mountPoint)));
  const before = await loopUsage(mountPoint);
  const size = (await fsp.stat(image)).size;
  if (target > size) await extend(image, target, 'r+');
  else if (target < size) log.warn({ image, asked: target, size }, 'volumes never shrink: kept');
  if (device) await runTool('losetup', ['-c', device]);
  await runTool('xfs_growfs', [mountPoint]);
  const after = await loopUsage(mountPoint);
  const grown = after.capacityBytes > before.capacityBytes;
  if (grown) log.info({ image, from: before.capacityBytes, to: after.capacityBytes }, 'loop grown');
  return { grown, capacityBytes: after.capacityBytes, imageBytes: Math.max(size, target) };
}

/** Unmounts the volume and detaches every loop device still backing the image; no-op otherwise. */
export async function unmountLoopVolume(opts: Omit<LoopVolumeOpts, 'bytes' | 'log'>) {
  if (await mountedDevice(opts.image, opts.mountPoint)) await runTool('umount', [opts.mountPoint]);
  if (!(await pathExists(opts.image))) return;
  // mount -o loop sets autoclear; a crash between attach and mount can still leak a device.
  const { stdout } = await runTool('losetup', ['-n', '-O', 'NAME', '-j', opts.image]);
  const mounted = new Set((await readMounts()).map((m) => m.source));
  for (const dev of stdout.split('\n').map((l) => l.trim())) {
    if (dev && !mounted.has(dev)) await runTool('losetup', ['-d', dev]);
  }
}

/**
 * Checks, without caching, that loop volumes work here: root, /dev/loop-control, the tools,
 * and a real create + mount + grow + unmount of a minimum-size image in `scratchDir`.
 */
export async function probeLoopSupport(opts: { scratchDir: string }): Promise<LoopVolumeSupport> {
  const no = (reason: string): LoopVolumeSupport => ({ supported: false, reason, fs: 'xfs' });
  const uid = process.getuid?.();
  if (uid !== 0) return no(`loop mounts need root; running as uid ${uid}`);
  if (!(await pathExists('/dev/loop-control')))
    return no('/dev/loop-control missing: modprobe loop');
  for (const tool of ['losetup', 'mount', 'umount', 'mkfs.xfs', 'xfs_growfs']) {
    if (!(await findTool(tool))) return no(`${tool} not found: ${install(tool)}`);
  }
  const dir = join(opts.scratchDir, `loop-probe-${randomBytes(4).toString('hex')}`);
  const vol = { image: join(dir, 'probe.img'), mountPoint: join(dir, 'mnt'), log: silentLogger() };
  try {
    await ensureLoopVolume({ ...vol, bytes: minimumLoopBytes('xfs') });
    const { grown } = await growLoopVolume({ ...vol, bytes: 320 * MIB });
    return grown ? { supported: true, fs: 'xfs' } : no('xfs_growfs did not grow a test volume');
  } catch (err) {
    return no(`a test volume in ${opts.scratchDir} failed: ${(err as Error).message}`);
  } finally {
    await unmountLoopVolume(vol).catch(() => undefined);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
