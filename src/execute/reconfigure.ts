import { codes, stalled } from '../errors.js';
import type { OpCtx } from './context.js';
import type { OperationRecord, StepDef } from './engine.js';
import { connOf, observedMembers } from './members.js';
import { done, type OpPlan } from './op-plan.js';
import { rollingSteps } from './rolling-steps.js';

/**
 * Reconfigure (seed 003): validate the new configuration on a scratch server, write it, apply
 * what the server takes at run time, restart (rolling, with failovers) only when needed or
 * asked, and verify every member runs the new settings. A rejected value leaves the previous
 * configuration running and on disk.
 */
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

/** The steps of a Reconfigure (see the module header). */
export function reconfigureSteps(plan: OpPlan): StepDef<OpCtx>[] {
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
              throw stalled(
                codes.invalidField,
                `postgres rejected the configuration: ${r.fileErrors.join('; ')}`,
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
