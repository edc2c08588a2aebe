import type { OpCtx } from './context.js';
import type { StepResult } from './engine.js';
import { membersWithRoles } from './members.js';
import { memberOrder, type RollingAction } from '../plan/rolling.js';

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

/**
 * Builds the plan of an operation at its start (called once): the members' actual roles read
 * from the servers, then the same pure member order a plan before the fact uses.
 */
export async function prepare(
  ctx: OpCtx,
  type: string,
  opts: Omit<OpPlan, 'type' | 'actions'>,
): Promise<OpPlan> {
  const members = await membersWithRoles(ctx);
  return { type, ...opts, actions: memberOrder(ctx.before.kind, type, opts.mode, members) };
}

/** A finished step, with an optional message for the history. */
export const done = (message?: string): StepResult => ({
  kind: 'done',
  ...(message ? { message } : {}),
});
