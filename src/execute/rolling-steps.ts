import type { OpCtx } from './context.js';
import type { OperationRecord, StepDef, StepResult } from './engine.js';
import { followerInSync, memberNamed } from './members.js';
import { done, type OpPlan } from './op-plan.js';
import { actionName, type RollingAction } from '../plan/rolling.js';

/** Hands a shard over to its replica (a coordinated CLUSTER FAILOVER); idempotent. */
export function failoverStep(a: Extract<RollingAction, { kind: 'failover' }>): StepDef<OpCtx> {
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
export function rollingSteps(
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
