import type { OpCtx } from './context.js';
import type { Progress } from '../runtime/runtime.js';
import type { StepDef, StepResult } from './engine.js';
import { done, type OpPlan } from './op-plan.js';
import type { RollingAction } from '../plan/rolling.js';
import { rollingSteps } from './rolling-steps.js';

/** A runtime's progress as a step's result: done with `message`, or wait as it says. */
function stepOf<T>(p: Progress<T>, message: (value: T) => string): StepResult {
  return p.done
    ? done(message(p.value))
    : { kind: 'wait', retryAfterMs: p.retryAfterMs, message: p.waiting };
}

/**
 * VolumeExpansion (seed 001): Online grows every member's volume under the running server,
 * followers first; Offline has the runtime take each member down for its growth in the
 * rolling order, a Redis master only after its replica took over. Then the runtime makes the
 * new size the one later members get.
 */
export function volumeSteps(plan: OpPlan): StepDef<OpCtx>[] {
  const bytes = (ctx: OpCtx) => ctx.after.storageBytes;
  const finish: StepDef<OpCtx> = {
    name: 'expand:finish',
    async run(ctx, _op, signal) {
      const p = await ctx.runtime.finishVolumeExpansion(ctx.database, bytes(ctx), signal);
      return stepOf(p, () => `new members get ${bytes(ctx)} bytes`);
    },
  };
  if (plan.mode !== 'Offline') {
    // Online: every volume grows under a running server, followers first.
    const grow = plan.actions
      .filter((a): a is Extract<RollingAction, { kind: 'cycle' }> => a.kind === 'cycle')
      .map((a): StepDef<OpCtx> => ({
        name: `expand:${a.member}`,
        async run(ctx, _op, signal) {
          const p = await ctx.runtime.expandVolume(
            ctx.database,
            a.member,
            bytes(ctx),
            'Online',
            signal,
          );
          return stepOf(p, (v) => `${a.member}: capacity ${v.capacityBytes} bytes`);
        },
      }));
    return [...grow, finish];
  }
  const grow = rollingSteps(plan, async (ctx, member, _op, signal) => {
    const p = await ctx.runtime.expandVolume(ctx.database, member, bytes(ctx), 'Offline', signal);
    return stepOf(p, (v) => `${member}: taken down, grown to ${v.capacityBytes} bytes, back`);
  });
  return [...grow, finish];
}
