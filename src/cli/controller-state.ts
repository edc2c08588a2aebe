import { resolve } from 'node:path';
import { codes, stalled } from '../errors.js';
import { fileStateStore, type StateStore } from '../reconcile/persistence.js';
import type { ControllerState } from '../reconcile/store.js';
import { readCredentials } from '../runtime/local/credentials.js';
import { Layout } from '../runtime/local/layout.js';
import type { Credentials } from '../runtime/runtime.js';
import { stateDirOf } from './args.js';
import type { CommandContext } from './context.js';

/**
 * What the read-only commands (status, ops list, credentials) read a controller's records
 * through, so that they read them where that controller keeps them: the state dir
 * (--state-dir, DBOPS_STATE_DIR or .dbops) for the local runtime.
 */
export interface ControllerRecords {
  /** Where the records are, for messages. */
  location: string;
  store: StateStore;
  credentials(database: string): Promise<Credentials | undefined>;
}

export function controllerRecords(
  stateDirFlag: string | undefined,
  ctx: CommandContext,
): ControllerRecords {
  const stateDir = resolve(ctx.cwd, stateDirOf(stateDirFlag, ctx.env));
  return {
    location: stateDir,
    store: fileStateStore(stateDir),
    credentials: (database) => readCredentials(new Layout(stateDir), database),
  };
}

/**
 * Reads what the controller recorded; no records at all is a not-found error that says how
 * to start a controller.
 */
export async function readControllerState(
  stateDirFlag: string | undefined,
  ctx: CommandContext,
): Promise<ControllerState> {
  const records = controllerRecords(stateDirFlag, ctx);
  const state = await records.store.load();
  if (!state) {
    throw stalled(codes.notFound, `no controller state in ${records.location}`, {
      hint: 'start one with `dbops run --repo ...` (or `npm start` for the demo), or pass --state-dir',
    });
  }
  return state;
}
