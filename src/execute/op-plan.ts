import type { OpCtx } from './context.js';
import type { StepResult } from './engine.js';
import { membersWithRoles } from './members.js';
import { rollingPlan, type RollingAction } from './rolling.js';

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

/** A finished step, with an optional message for the history. */
export const done = (message?: string): StepResult => ({
  kind: 'done',
  ...(message ? { message } : {}),
});
