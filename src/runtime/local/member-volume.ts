import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import type { DatabaseKind } from '../../api/desired.js';
import type { VolumeStatus } from '../runtime.js';
import type { MemberFile, VolumeType } from './layout.js';
import {
  ensureLoopVolume,
  growLoopVolume,
  loopUsage,
  probeLoopSupport,
  unmountLoopVolume,
} from './loop-volume.js';
import { ownerOf, scratchDir, type MemberContext } from './member-context.js';
import { directorySize } from './volume.js';

/**
 * The volume type for new members: `auto` probes once (a real create, mount and grow of a
 * test image in the scratch dir) and takes loop volumes where that works, else directories.
 */
export async function chooseVolumeType(
  ctx: MemberContext,
  wanted: 'auto' | VolumeType,
): Promise<VolumeType> {
  if (wanted !== 'auto') return wanted;
  const support = await probeLoopSupport({ scratchDir: await scratchDir(ctx) });
  if (support.supported) {
    ctx.log.info('new members get loop-mounted XFS volumes');
    return 'loop';
  }
  ctx.log.warn({ reason: support.reason }, 'loop volumes unavailable: using directories');
  return 'directory';
}

/** The volume type of a member; members made before loop volumes existed are directories. */
export function volumeTypeOf(mf: MemberFile): VolumeType {
  return mf.volumeType ?? 'directory';
}

/** The member's data directory for its volume type. */
export function memberDataDir(ctx: MemberContext, db: string, mf: MemberFile): string {
  return ctx.layout.dataDir(db, mf.name, volumeTypeOf(mf));
}

function loopPaths(ctx: MemberContext, db: string, member: string) {
  return {
    image: ctx.layout.volumeImage(db, member),
    mountPoint: ctx.layout.mountPoint(db, member),
  };
}

// A path is a mount point when it sits on another device than its parent directory.
async function mounted(ctx: MemberContext, db: string, member: string): Promise<boolean> {
  try {
    const [mp, parent] = await Promise.all([
      stat(ctx.layout.mountPoint(db, member)),
      stat(ctx.layout.memberDir(db, member)),
    ]);
    return mp.dev !== parent.dev;
  } catch {
    return false;
  }
}

/**
 * Makes the member's volume usable: nothing for a directory (its data dir is made with the
 * data); for a loop volume, creates the image at the member's size when new, mounts it when
 * it is not (after a reboot), and hands the mounted root to the service user. An existing
 * image is never shrunk or re-created. Persists the measured capacity. Idempotent.
 */
export async function ensureMemberVolume(
  ctx: MemberContext,
  kind: DatabaseKind,
  db: string,
  mf: MemberFile,
): Promise<void> {
  if (volumeTypeOf(mf) !== 'loop') return;
  const paths = loopPaths(ctx, db, mf.name);
  const bytes = mf.capacityBytes ?? 1;
  const { capacityBytes } = await ensureLoopVolume({ ...paths, bytes, log: ctx.log });
  const owner = ownerOf(ctx, kind);
  if (owner) await chown(paths.mountPoint, owner.uid, owner.gid);
  await chmod(paths.mountPoint, 0o700);
  if (kind === 'Redis') await mkdir(memberDataDir(ctx, db, mf), { recursive: true, mode: 0o700 });
  if (mf.capacityBytes !== capacityBytes) {
    mf.capacityBytes = capacityBytes;
    await ctx.layout.writeMember(db, mf);
  }
}

/**
 * Size and use of a member's volume: statfs of the mounted filesystem for a loop volume (the
 * last measured capacity and no usage while unmounted), the accounted capacity and the size
 * of the data for a directory.
 */
export async function memberVolumeStatus(
  ctx: MemberContext,
  db: string,
  mf: MemberFile,
  fallbackCapacity: number,
): Promise<VolumeStatus> {
  if (volumeTypeOf(mf) === 'loop') {
    const path = ctx.layout.mountPoint(db, mf.name);
    if (await mounted(ctx, db, mf.name)) {
      const image = await stat(ctx.layout.volumeImage(db, mf.name));
      return { path, type: 'loop', ...(await loopUsage(path)), sizeBytes: image.size };
    }
    return { path, type: 'loop', capacityBytes: mf.capacityBytes ?? 0, usedBytes: 0 };
  }
  const path = memberDataDir(ctx, db, mf);
  const capacityBytes = mf.capacityBytes ?? fallbackCapacity;
  return { path, type: 'directory', capacityBytes, usedBytes: await directorySize(path) };
}

/**
 * Grows a member's volume to at least `bytes`: the image and filesystem online for a loop
 * volume (every step re-run, so a rerun after a crash completes it), the accounted capacity
 * for a directory. A smaller size changes nothing. Returns the volume's status.
 */
export async function expandMemberVolume(
  ctx: MemberContext,
  db: string,
  mf: MemberFile,
  bytes: number,
): Promise<VolumeStatus> {
  if (volumeTypeOf(mf) === 'loop') {
    const paths = loopPaths(ctx, db, mf.name);
    const { capacityBytes } = await growLoopVolume({ ...paths, bytes, log: ctx.log });
    if (mf.capacityBytes !== capacityBytes) {
      mf.capacityBytes = capacityBytes;
      await ctx.layout.writeMember(db, mf);
    }
  } else if (bytes > (mf.capacityBytes ?? 0)) {
    ctx.log.info({ database: db, member: mf.name, from: mf.capacityBytes, to: bytes }, 'expanded');
    mf.capacityBytes = bytes;
    await ctx.layout.writeMember(db, mf);
  }
  return memberVolumeStatus(ctx, db, mf, bytes);
}

/** Unmounts a member's loop volume and detaches its device (before a wipe); no-op otherwise. */
export async function releaseMemberVolume(
  ctx: MemberContext,
  db: string,
  member: string,
): Promise<void> {
  const paths = loopPaths(ctx, db, member);
  try {
    await stat(paths.image);
  } catch {
    return;
  }
  await unmountLoopVolume(paths);
}

/**
 * Releases the loop volume of every member of a database (its members are stopped: a clean
 * stop, a wipe). Tries each one; returns what could not be released, empty when all were.
 */
export async function releaseDatabaseVolumes(ctx: MemberContext, db: string): Promise<string[]> {
  const problems: string[] = [];
  for (const member of await ctx.layout.members(db)) {
    try {
      await releaseMemberVolume(ctx, db, member);
    } catch (err) {
      problems.push(`${db}/${member}: ${(err as Error).message}`);
    }
  }
  return problems;
}
