import { stat } from 'node:fs/promises';
import type { DatabaseKind } from '../../api/desired.js';
import { readCredentials } from './credentials.js';
import type { ObservedDatabase, ObservedMember } from '../runtime.js';
import type { DbFile, MemberFile } from './layout.js';
import type { MemberContext } from './member-context.js';
import { memberRunning } from './member-process.js';
import { portAccepting } from './probe.js';
import { memberVolumeStatus } from './member-volume.js';

/**
 * Hands a live member that nobody watches (started by an earlier controller) to the
 * supervisor (not for halted databases and members stopped on purpose). True when it runs.
 */
export async function adoptIfRunning(
  ctx: MemberContext,
  dbf: DbFile,
  mf: MemberFile,
): Promise<boolean> {
  if (mf.pid === undefined || !(await memberRunning(ctx, dbf.kind, dbf.name, mf))) return false;
  const supervised = !dbf.halted && mf.wanted && !mf.stoppedForOperation;
  if (supervised && !ctx.supervisor.watching(dbf.name, mf.name, mf.pid)) {
    ctx.supervisor.watch(dbf.name, mf.name, mf.pid, mf.startedAt ?? ctx.clock.now());
    ctx.log.info({ database: dbf.name, member: mf.name, pid: mf.pid }, 'adopted running member');
  }
  return true;
}

/** Adopts the running members of every database in the state directory (startup). */
export async function adoptAll(ctx: MemberContext): Promise<void> {
  for (const db of await ctx.layout.databases()) {
    const dbf = await ctx.layout.readDb(db);
    if (!dbf) continue;
    for (const name of await ctx.layout.members(db)) {
      const mf = await ctx.layout.readMember(db, name);
      if (mf) await adoptIfRunning(ctx, dbf, mf);
    }
  }
}

async function observeMember(
  ctx: MemberContext,
  dbf: DbFile,
  mf: MemberFile,
): Promise<ObservedMember> {
  const alive = await adoptIfRunning(ctx, dbf, mf);
  const running = alive && (await portAccepting(ctx.host, mf.port));
  return {
    name: mf.name,
    shard: mf.shard,
    ordinal: mf.ordinal,
    role: mf.role,
    endpoint: { host: ctx.host, port: mf.port },
    running,
    ...(alive && mf.pid !== undefined ? { instance: String(mf.pid) } : {}),
    restarts: mf.restarts,
    ...(mf.lastExit ? { lastExit: mf.lastExit } : {}),
    ...(mf.version ? { version: mf.version } : {}),
    volume: await memberVolumeStatus(ctx, dbf.name, mf, dbf.lastSpec?.storageBytes ?? 0),
  };
}

/** Everything on disk and in the process table for a database; undefined when nothing is. */
export async function observeDatabase(
  ctx: MemberContext,
  db: string,
): Promise<ObservedDatabase | undefined> {
  try {
    await stat(ctx.layout.dbDir(db));
  } catch {
    return undefined;
  }
  const stored = await ctx.layout.readDb(db);
  // Without db.json (a crash right after the directory was made), the login name tells the kind.
  const creds = stored ? undefined : await readCredentials(ctx.layout, db);
  const kind: DatabaseKind =
    stored?.kind ?? (creds?.username === 'postgres' ? 'Postgres' : 'Redis');
  const dbf: DbFile = stored ?? { name: db, kind, halted: false, notes: [] };
  const members: ObservedMember[] = [];
  for (const name of await ctx.layout.members(db)) {
    const mf = await ctx.layout.readMember(db, name);
    if (mf) members.push(await observeMember(ctx, dbf, mf));
  }
  members.sort((a, b) => a.shard - b.shard || a.ordinal - b.ordinal);
  return {
    name: db,
    kind: dbf.kind,
    halted: dbf.halted,
    members,
    ...(dbf.lastSpec ? { lastSpec: dbf.lastSpec } : {}),
    notes: [...dbf.notes],
  };
}
