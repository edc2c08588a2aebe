import type { DatabaseSpec } from '../../api/desired.js';
import type { MemberPlan } from '../runtime.js';
import type { ServerInstall } from './binaries.js';
import { reportedVersion, serverBinary } from './binaries.js';
import type { DbFile } from './layout.js';
import { ensureMemberFile, type MemberContext } from './member-context.js';
import { ensureMemberData, writeMemberConfig } from './member-config.js';
import { launchMember, recoverRunning, stopMember, waitMemberReady } from './member-process.js';
import { adoptIfRunning } from './observe.js';

/**
 * Brings each planned member up in order: member.json (port), data (initdb, pg_basebackup or
 * a directory), config, then the process (adopted when it already runs), and waits until it
 * accepts connections before the next one. Every step is idempotent, so a run interrupted at
 * any point converges when repeated. Members not in the plan are stopped; their data stays.
 */
export async function ensurePlannedMembers(
  ctx: MemberContext,
  spec: DatabaseSpec,
  members: MemberPlan[],
  install: ServerInstall,
  password: string,
  signal?: AbortSignal,
): Promise<void> {
  const server = { binary: serverBinary(install), version: reportedVersion(install) };
  const dbf: DbFile = { name: spec.name, kind: spec.kind, halted: false, notes: [] };
  for (const plan of members) {
    signal?.throwIfAborted();
    let mf = await ensureMemberFile(ctx, spec, plan);
    await ensureMemberData(ctx, spec, mf, password, install.bindir);
    const changed = await writeMemberConfig(ctx, spec, mf, password);
    await recoverRunning(ctx, spec.kind, spec.name, mf);
    if (ctx.supervisor.restartPending(spec.name, plan.name)) {
      // The supervisor brings it back after its delay (a cluster fails over meanwhile);
      // starting it here would race that. A Postgres standby needs its primary: stop here.
      if (spec.kind === 'Postgres') break;
      continue;
    }
    if (await adoptIfRunning(ctx, dbf, mf)) {
      // Postgres rereads dbops.conf on SIGHUP; Redis changes are the controller's (CONFIG SET).
      if (changed && spec.kind === 'Postgres' && mf.pid) process.kill(mf.pid, 'SIGHUP');
    } else {
      mf = await launchMember(ctx, spec, mf, password, server);
    }
    await waitMemberReady(ctx, spec.kind, spec.name, mf, password, signal);
  }
  const planned = new Set(members.map((m) => m.name));
  for (const name of await ctx.layout.members(spec.name)) {
    if (planned.has(name)) continue;
    const mf = await ctx.layout.readMember(spec.name, name);
    if (!mf) continue;
    // Persisted before the stop: the supervisor never brings an unwanted member back.
    mf.wanted = false;
    await ctx.layout.writeMember(spec.name, mf);
    await stopMember(ctx, spec.kind, spec.name, mf);
  }
}

/** Stops every member of a database on purpose (halt, wipe, close); data stays. */
export async function stopAllMembers(ctx: MemberContext, db: string): Promise<void> {
  const dbf = await ctx.layout.readDb(db);
  for (const name of await ctx.layout.members(db)) {
    const mf = await ctx.layout.readMember(db, name);
    if (!mf) continue;
    await recoverRunning(ctx, dbf?.kind ?? 'Redis', db, mf);
    await stopMember(ctx, dbf?.kind ?? 'Redis', db, mf);
  }
}
