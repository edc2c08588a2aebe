import type { OpCtx } from './context.js';
import type { StepDef } from './engine.js';
import { done, type OpPlan } from './op-plan.js';
import type { RollingAction } from './rolling.js';
import { rollingSteps } from './rolling-steps.js';

/**
 * VolumeExpansion (seed 001): Online grows every member's volume under the running server,
 * followers first; Offline stops, grows and starts each member in the rolling order, a Redis
 * master only after its replica took over.
 */
export function volumeSteps(plan: OpPlan): StepDef<OpCtx>[] {
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
