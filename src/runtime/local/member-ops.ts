import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseSpec } from '../../api/desired.js';
import { codes, stalled } from '../../errors.js';
import { readCredentials } from './credentials.js';
import type { DbFile, MemberFile } from './layout.js';
import type { MemberContext } from './member-context.js';
import { writeMemberConfig } from './member-config.js';
import { launchMember, recoverRunning, stopMember, waitMemberReady } from './member-process.js';
import { ensureMemberVolume, memberDataDir } from './member-volume.js';
import { adoptIfRunning } from './observe.js';
import { renderPgSetting } from '../../db/postgres/config-file.js';
import { renderRedisDirective } from '../../db/redis/config-file.js';
import type { ServerCatalog } from './server-catalog.js';

// The day-2 building blocks behind Runtime.stopMember/startMember/writeConfig. Callers hold
// the runtime's per-database lock.

/** A member with its database file and password; throws notFound when any is missing. */
export async function loadMember(
  ctx: MemberContext,
  db: string,
  member: string,
): Promise<{ dbf: DbFile & { lastSpec: DatabaseSpec }; mf: MemberFile; password: string }> {
  const dbf = await ctx.layout.readDb(db);
  const mf = await ctx.layout.readMember(db, member);
  const creds = await readCredentials(ctx.layout, db);
  if (!dbf?.lastSpec || !mf || !creds) {
    throw stalled(codes.notFound, `member ${member} of ${db} does not exist`, {
      hint: 'check the database and member names (dbops status)',
    });
  }
  return { dbf: { ...dbf, lastSpec: dbf.lastSpec }, mf, password: creds.password };
}

/**
 * Stops a member on purpose and keeps it down: `stoppedForOperation` is persisted before the
 * stop, so neither the supervisor nor a restart after a crash brings it back. Idempotent.
 */
export async function stopForOperation(ctx: MemberContext, db: string, member: string) {
  const { dbf, mf } = await loadMember(ctx, db, member);
  if (!mf.stoppedForOperation) {
    mf.stoppedForOperation = true;
    await ctx.layout.writeMember(db, mf);
  }
  await recoverRunning(ctx, dbf.kind, db, mf);
  await stopMember(ctx, dbf.kind, db, mf);
}

/**
 * Starts a member (stopped for an operation, or just stopped by restartMember) with the
 * configuration of the database's last spec: mounts its volume, clears the flag, starts the
 * server (or adopts one that runs) and waits until it accepts connections. A halted database
 * only loses the flag.
 */
export async function startMemberNow(
  ctx: MemberContext,
  servers: ServerCatalog,
  db: string,
  member: string,
  signal?: AbortSignal,
): Promise<void> {
  const loaded = await loadMember(ctx, db, member);
  const { dbf, password } = loaded;
  let mf = loaded.mf;
  if (mf.stoppedForOperation) {
    // Cleared before the launch: the supervisor must restart it should it crash right away.
    delete mf.stoppedForOperation;
    await ctx.layout.writeMember(db, mf);
  }
  if (dbf.halted) return;
  const spec = dbf.lastSpec;
  await ensureMemberVolume(ctx, dbf.kind, db, mf);
  const running =
    (await recoverRunning(ctx, dbf.kind, db, mf)) && (await adoptIfRunning(ctx, dbf, mf));
  if (!running) {
    await writeMemberConfig(ctx, spec, mf, password);
    mf = await launchMember(ctx, spec, mf, password, await servers.serverOf(spec, mf));
  }
  await waitMemberReady(ctx, dbf.kind, db, mf, password, signal);
}

/**
 * Renders every member's configuration for `spec` and writes the files that changed, after
 * recording `spec` as the database's last spec (a restart in between renders the same).
 * Postgres members without data yet are skipped: ensureMembers writes theirs. No signal.
 */
export async function writeDatabaseConfig(ctx: MemberContext, spec: DatabaseSpec) {
  const dbf = await ctx.layout.readDb(spec.name);
  const creds = await readCredentials(ctx.layout, spec.name);
  if (!dbf || !creds) {
    throw stalled(codes.notFound, `database ${spec.name} does not exist`, {
      hint: 'create it first (ensureMembers)',
    });
  }
  if (dbf.kind !== spec.kind) {
    throw stalled(codes.invalidField, `${spec.name} is a ${dbf.kind} database`, {
      hint: `a ${spec.kind} spec cannot configure it`,
    });
  }
  // Every directive is checked before anything is written.
  for (const [k, v] of Object.entries(spec.config)) {
    if (spec.kind === 'Redis') renderRedisDirective(k, v);
    else renderPgSetting(k, v);
  }
  await ctx.layout.writeDb({ ...dbf, lastSpec: spec });
  for (const name of await ctx.layout.members(spec.name)) {
    const mf = await ctx.layout.readMember(spec.name, name);
    if (!mf) continue;
    await ensureMemberVolume(ctx, spec.kind, spec.name, mf);
    const data = join(memberDataDir(ctx, spec.name, mf), 'PG_VERSION');
    if (
      spec.kind === 'Postgres' &&
      !(await access(data).then(
        () => true,
        () => false,
      ))
    )
      continue;
    await writeMemberConfig(ctx, spec, mf, creds.password);
  }
}
