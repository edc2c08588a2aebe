import { readCredentials } from './credentials.js';
import type { MemberContext } from './member-context.js';
import { launchMember, recoverRunning } from './member-process.js';
import { ensureMemberVolume } from './member-volume.js';
import { adoptIfRunning } from './observe.js';
import type { ServerCatalog } from './server-catalog.js';

/**
 * Redis Cluster members of shards with replicas wait two node timeouts plus a second before
 * a restart: by then the cluster has failed the shard over to a replica, and the restarted
 * member rejoins as that replica. Without replicas there is nobody to fail over to.
 */
export async function restartFloorMs(ctx: MemberContext, db: string): Promise<number> {
  const spec = (await ctx.layout.readDb(db))?.lastSpec;
  if (spec?.kind !== 'Redis' || spec.mode !== 'Cluster' || spec.replicas < 2) return 0;
  return 2 * ctx.nodeTimeoutMs + 1_000;
}

/**
 * The supervisor's restart of a member that died: returns early for halted databases,
 * unwanted members and members stopped for an operation, and adopts one already back.
 * Mounts a loop volume first (it may be gone after a reboot). Caller holds the db's lock.
 */
export async function restartAfterCrash(
  ctx: MemberContext,
  servers: ServerCatalog,
  db: string,
  member: string,
): Promise<void> {
  const dbf = await ctx.layout.readDb(db);
  const mf = await ctx.layout.readMember(db, member);
  const creds = await readCredentials(ctx.layout, db);
  if (!dbf?.lastSpec || dbf.halted || !mf?.wanted || mf.stoppedForOperation || !creds) return;
  if (await recoverRunning(ctx, dbf.kind, db, mf)) {
    await adoptIfRunning(ctx, dbf, mf);
    return;
  }
  await ensureMemberVolume(ctx, dbf.kind, db, mf);
  const server = await servers.serverOf(dbf.lastSpec, mf);
  const started = await launchMember(ctx, dbf.lastSpec, mf, creds.password, server, {
    afterCrash: true,
  });
  ctx.emit({
    database: db,
    member,
    type: 'member-restarted',
    message: `restarted after an unexpected exit (restart ${started.restarts}, pid ${started.pid})`,
  });
}
