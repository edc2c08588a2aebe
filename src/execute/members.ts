import { codes, stalled } from '../errors.js';
import type { ObservedMember } from '../runtime/runtime.js';
import type { StepResult } from './engine.js';
import type { Conn, OpCtx } from './context.js';
import type { RollingMember } from '../plan/rolling.js';

/** The members as the runtime sees them now; throws when the database has none. */
export async function observedMembers(ctx: OpCtx): Promise<ObservedMember[]> {
  const observed = await ctx.runtime.observe(ctx.database);
  if (!observed || observed.members.length === 0) {
    throw stalled(codes.notFound, `database ${ctx.database} has no members`);
  }
  return observed.members;
}

/** How to reach a member with the database's credentials. */
export function connOf(ctx: OpCtx, m: ObservedMember): Conn & { user: string } {
  return {
    host: m.endpoint.host,
    port: m.endpoint.port,
    password: ctx.credentials.password,
    user: ctx.credentials.username,
    timeoutMs: 5_000,
  };
}

/** Members with their actual roles, asked from the servers (a failover may have moved them). */
export async function membersWithRoles(ctx: OpCtx): Promise<RollingMember[]> {
  const members = await observedMembers(ctx);
  const out: RollingMember[] = [];
  for (const m of members) {
    let role: string = m.role;
    if (m.running) {
      if (ctx.before.kind === 'Redis') role = (await ctx.clients.observeRedis(connOf(ctx, m))).role;
      else role = (await ctx.clients.observePostgres(connOf(ctx, m))).role;
    }
    out.push({ name: m.name, shard: m.shard, role });
  }
  return out;
}

/** Finds one member by name, or fails the step clearly. */
export async function memberNamed(ctx: OpCtx, name: string): Promise<ObservedMember> {
  const m = (await observedMembers(ctx)).find((x) => x.name === name);
  if (!m) throw stalled(codes.notFound, `member ${name} of ${ctx.database} is gone`);
  return m;
}

/**
 * Done when a member that follows (Redis replica, Postgres standby) is back in sync after a
 * restart, or at once for a leader; otherwise asks the engine to poll again.
 */
export async function followerInSync(ctx: OpCtx, name: string): Promise<StepResult> {
  const m = await memberNamed(ctx, name);
  if (!m.running) return { kind: 'wait', retryAfterMs: 200, message: `${name} is not running yet` };
  if (ctx.before.kind === 'Redis') {
    const r = await ctx.clients.observeRedis(connOf(ctx, m));
    if (r.role === 'master' || r.masterLinkUp) return { kind: 'done' };
    return {
      kind: 'wait',
      retryAfterMs: 200,
      message: `${name} is not in sync with its master yet`,
    };
  }
  const state = await ctx.clients.observePostgres(connOf(ctx, m));
  if (state.role === 'primary') return { kind: 'done' };
  const all = await observedMembers(ctx);
  for (const other of all.filter((x) => x.running && x.name !== name)) {
    const s = await ctx.clients.observePostgres(connOf(ctx, other));
    if (
      s.role === 'primary' &&
      s.replication.some((r) => r.name === name && r.state === 'streaming')
    ) {
      return { kind: 'done' };
    }
  }
  return {
    kind: 'wait',
    retryAfterMs: 200,
    message: `${name} is not streaming from the primary yet`,
  };
}
