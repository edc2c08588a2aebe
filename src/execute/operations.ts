import { codes, stalled } from '../errors.js';
import { topology } from '../plan/topology.js';
import type { OpCtx } from './context.js';
import type { StepDef } from './engine.js';
import { done, type OpPlan } from './op-plan.js';
import { reconfigureSteps } from './reconfigure.js';
import { rollingSteps } from './rolling-steps.js';
import { volumeSteps } from './volume-expansion.js';

export { prepare, type OpPlan } from './op-plan.js';

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
      throw stalled(codes.unsupported, `operation type ${plan.type} is not supported yet`);
  }
}
