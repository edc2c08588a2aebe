import { resolve } from 'node:path';
import { codes, stalled } from '../errors.js';
import { loadState, type ControllerState } from '../reconcile/store.js';
import { stateDirOf } from './args.js';
import type { CommandContext } from './context.js';

/**
 * Reads what the controller recorded in the state dir (--state-dir, DBOPS_STATE_DIR or
 * .dbops); a state dir without a controller is a not-found error that says how to start one.
 */
export async function readControllerState(
  stateDirFlag: string | undefined,
  ctx: CommandContext,
): Promise<ControllerState> {
  const stateDir = resolve(ctx.cwd, stateDirOf(stateDirFlag, ctx.env));
  const state = await loadState(stateDir);
  if (!state) {
    throw stalled(codes.notFound, `no controller state in ${stateDir}`, {
      hint: 'start one with `dbops run --repo ...` (or `npm start` for the demo), or pass --state-dir',
    });
  }
  return state;
}
