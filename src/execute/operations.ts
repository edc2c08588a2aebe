import { DbopsError, codes } from '../errors.js';
import { topology } from '../plan/topology.js';
import type { OpCtx } from './context.js';
import type { OperationRecord, StepDef, StepResult } from './engine.js';
import {
  connOf,
  followerInSync,
  memberNamed,
  membersWithRoles,
  observedMembers,
} from './members.js';
import { actionName, rollingPlan, type RollingAction } from './rolling.js';

/** What an operation persists at its start, so a resumed operation runs the same steps. */
export interface OpPlan {
  /** VolumeExpansion | Reconfigure | Restart | HorizontalScaling */
  type: string;
  mode?: 'Online' | 'Offline';
  /** Reconfigure: restart policy of the OpsRequest. */
  restart?: 'auto' | 'true' | 'false';
  /** Ordered member actions (rolling order, failovers included). */
  actions: RollingAction[];
}

/** Builds the plan of an operation from the members' actual roles (called once, at its start). */
export async function prepare(
  ctx: OpCtx,
  type: string,
  opts: Omit<OpPlan, 'type' | 'actions'>,
): Promise<OpPlan> {
  const members = await membersWithRoles(ctx);
  const online = type === 'VolumeExpansion' && opts.mode !== 'Offline';
  const actions = rollingPlan(members, { failover: !online && ctx.before.kind === 'Redis' });
  return { type, ...opts, actions };
}

const done = (message?: string): StepResult => ({ kind: 'done', ...(message ? { message } : {}) });

function failoverStep(a: Extract<RollingAction, { kind: 'failover' }>): StepDef<OpCtx> {
  return {
    name: actionName(a),
    async run(ctx, _op, signal) {
      const from = await memberNamed(ctx, a.from);
      const to = await memberNamed(ctx, a.to);
      const r = await ctx.clients.failoverShard({
        master: from.endpoint,
        replica: to.endpoint,
        password: ctx.credentials.password,
        clock: ctx.clock,
        log: ctx.log,
        timeoutMs: ctx.waitMs,
        signal,
      });
      return done(
        r.performed
          ? `${a.to} took over shard ${a.shard} from ${a.from}`
          : `${a.to} already master`,
      );
    },
  };
}

/** Steps for each action: failovers as they are, cycles as `cycle(member)` then a catch-up wait. */
function rollingSteps(
  plan: OpPlan,
  cycle: (
    ctx: OpCtx,
    member: string,
    op: OperationRecord,
    signal: AbortSignal,
  ) => Promise<StepResult>,
): StepDef<OpCtx>[] {
  const steps: StepDef<OpCtx>[] = [];
  for (const a of plan.actions) {
    if (a.kind === 'failover') {
      steps.push(failoverStep(a));
      continue;
    }
    steps.push({ name: actionName(a), run: (ctx, op, signal) => cycle(ctx, a.member, op, signal) });
    steps.push({ name: `in-sync:${a.member}`, run: (ctx) => followerInSync(ctx, a.member) });
  }
  return steps;
}

function volumeSteps(plan: OpPlan): StepDef<OpCtx>[] {
  const bytes = (ctx: OpCtx) => ctx.after.storageBytes;
  if (plan.mode !== 'Offline') {
    // Online: every volume grows under a running server, followers first.
    return plan.actions
      .filter((a): a is Extract<RollingAction, { kind: 'cycle' }> => a.kind === 'cycle')
      .map((a) => ({
        name: `expand:${a.member}`,
        async run(ctx) {
          const v = await ctx.runtime.expandVolume(ctx.database, a.member, bytes(ctx));
          return done(`${a.member}: capacity ${v.capacityBytes} bytes`);
        },
      }));
  }
  return rollingSteps(plan, async (ctx, member, _op, signal) => {
    await ctx.runtime.stopMember(ctx.database, member);
    const v = await ctx.runtime.expandVolume(ctx.database, member, bytes(ctx));
    await ctx.runtime.startMember(ctx.database, member, signal);
    return done(`${member}: stopped, grown to ${v.capacityBytes} bytes, started`);
  });
}

/** Keys whose value the reconfigure sets or resets: the custom layers before and after. */
export function customKeys(ctx: OpCtx): string[] {
  return [...new Set([...Object.keys(ctx.before.config), ...Object.keys(ctx.after.config)])].sort();
}

function needsRestart(op: OperationRecord, plan: OpPlan): boolean {
  if (plan.restart === 'true') return true;
  if (plan.restart === 'false') return false;
  const pending = (op.data.needRestart ?? []) as string[];
  return pending.length > 0;
}

function reconfigureSteps(plan: OpPlan): StepDef<OpCtx>[] {
  const validate: StepDef<OpCtx> = {
    name: 'validate',
    async run(ctx, op) {
      const { settings } = await ctx.runtime.validateConfig(ctx.after);
      const target: Record<string, string> = {};
      for (const k of customKeys(ctx)) {
        const v = settings[k];
        if (v !== undefined) target[k] = v;
      }
      op.data.target = target;
      return done(
        `the server accepts the configuration (${Object.keys(target).length} setting(s))`,
      );
    },
  };
  const write: StepDef<OpCtx> = {
    name: 'write-config',
    async run(ctx) {
      await ctx.runtime.writeConfig(ctx.after);
      return done();
    },
  };
  const applyLive: StepDef<OpCtx> = {
    name: 'apply-live',
    async run(ctx, op) {
      const target = (op.data.target ?? {}) as Record<string, string>;
      const restart = new Set<string>();
      try {
        for (const m of (await observedMembers(ctx)).filter((x) => x.running)) {
          if (ctx.before.kind === 'Redis') {
            const r = await ctx.clients.applyRedisSettings({ ...connOf(ctx, m), target });
            r.needRestart.forEach((k) => restart.add(k));
          } else {
            const r = await ctx.clients.reloadPostgres({ ...connOf(ctx, m), clock: ctx.clock });
            if (r.fileErrors.length > 0) {
              throw new DbopsError(
                codes.invalidField,
                `postgres rejected the configuration: ${r.fileErrors.join('; ')}`,
                {
                  retry: 'stalled',
                },
              );
            }
            r.pendingRestart.forEach((k) => restart.add(k));
          }
        }
      } catch (err) {
        // Leave the previous configuration running and on disk.
        await ctx.runtime.writeConfig(ctx.before);
        if (ctx.before.kind === 'Postgres') {
          for (const m of (await observedMembers(ctx)).filter((x) => x.running)) {
            await ctx.clients
              .reloadPostgres({ ...connOf(ctx, m), clock: ctx.clock })
              .catch(() => undefined);
          }
        }
        throw err;
      }
      op.data.needRestart = [...restart].sort();
      return done(
        restart.size ? `needs a restart for: ${[...restart].join(', ')}` : 'applied live',
      );
    },
  };
  const cycles = rollingSteps(plan, async (ctx, member, op, signal) => {
    if (!needsRestart(op, plan)) return done('no restart needed');
    await ctx.runtime.restartMember(ctx.database, member, signal);
    return done('restarted');
  }).map((s) => (s.name.startsWith('failover:') ? skipUnlessRestart(s, plan) : s));
  const verify: StepDef<OpCtx> = {
    name: 'verify',
    async run(ctx, op) {
      const target = (op.data.target ?? {}) as Record<string, string>;
      const keys = Object.keys(target);
      if (keys.length === 0 || (plan.restart === 'false' && needsRestartPending(op))) {
        return done(
          needsRestartPending(op)
            ? 'restart: false: the new settings apply at the next restart'
            : undefined,
        );
      }
      for (const m of (await observedMembers(ctx)).filter((x) => x.running)) {
        const live =
          ctx.before.kind === 'Redis'
            ? await ctx.clients.readRedisSettings({ ...connOf(ctx, m), keys })
            : // validateConfig reports Postgres values in base units (`postgres -C`).
              await ctx.clients.readPostgresSettings({ ...connOf(ctx, m), keys, raw: true });
        const wrong = keys.filter((k) => live[k] !== target[k]);
        if (wrong.length > 0) {
          return {
            kind: 'wait',
            retryAfterMs: 500,
            message: `${m.name}: ${wrong.map((k) => `${k}=${live[k]} (want ${target[k]})`).join(', ')}`,
          };
        }
      }
      return done('every member runs the new settings');
    },
  };
  return [validate, write, applyLive, ...cycles, verify];
}

function needsRestartPending(op: OperationRecord): boolean {
  return ((op.data.needRestart ?? []) as string[]).length > 0;
}

function skipUnlessRestart(step: StepDef<OpCtx>, plan: OpPlan): StepDef<OpCtx> {
  return {
    name: step.name,
    run: (ctx, op, signal) =>
      needsRestart(op, plan)
        ? step.run(ctx, op, signal)
        : Promise.resolve(done('no restart needed')),
  };
}

function restartSteps(plan: OpPlan): StepDef<OpCtx>[] {
  return rollingSteps(plan, async (ctx, member, _op, signal) => {
    await ctx.runtime.restartMember(ctx.database, member, signal);
    return done('restarted');
  });
}

function scalingSteps(): StepDef<OpCtx>[] {
  return [
    {
      name: 'scale',
      async run(ctx, _op, signal) {
        await ctx.runtime.ensureMembers(ctx.after, topology(ctx.after), signal);
        return done(`${topology(ctx.after).length} member(s)`);
      },
    },
  ];
}

/** The steps of an operation from its persisted plan. */
export function stepsOf(plan: OpPlan): StepDef<OpCtx>[] {
  switch (plan.type) {
    case 'VolumeExpansion':
      return volumeSteps(plan);
    case 'Reconfigure':
      return reconfigureSteps(plan);
    case 'Restart':
      return restartSteps(plan);
    case 'HorizontalScaling':
      return scalingSteps();
    default:
      throw new DbopsError(codes.unsupported, `operation type ${plan.type} is not supported yet`, {
        retry: 'stalled',
      });
  }
}
