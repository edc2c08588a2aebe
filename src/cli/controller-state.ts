import { resolve } from 'node:path';
import { codes, stalled } from '../errors.js';
import { fileStateStore, type StateStore } from '../reconcile/persistence.js';
import type { ControllerState } from '../reconcile/store.js';
import { readCredentials } from '../runtime/local/credentials.js';
import { Layout } from '../runtime/local/layout.js';
import type { Credentials } from '../runtime/runtime.js';
import { systemClock } from '../platform/clock.js';
import { silentLogger } from '../platform/logger.js';
import { kubeApis, loadKubeConfig } from '../runtime/kubernetes/kube-config.js';
import { memberProber } from '../main.js';
import { KubeRuntime } from '../runtime/kubernetes/kube-runtime.js';
import { configMapStateStore } from '../runtime/kubernetes/state-store.js';
import { runtimeTargetOf, stateDirOf } from './args.js';
import type { CommandContext } from './context.js';

/**
 * What the read-only commands (status, ops list, credentials) read a controller's records
 * through, so that they read them where that controller keeps them: the state dir
 * (--state-dir, DBOPS_STATE_DIR or .dbops) for the local runtime; with --runtime kubernetes,
 * the state ConfigMap and the auth Secrets in --namespace.
 */
export interface ControllerRecords {
  /** Where the records are, for messages. */
  location: string;
  store: StateStore;
  credentials(database: string): Promise<Credentials | undefined>;
}

/** The flags that say where the records are: `runtimeOptions` and --state-dir. */
export type RecordsFlags = Parameters<typeof runtimeTargetOf>[0] & { 'state-dir'?: string };

export function controllerRecords(flags: RecordsFlags, ctx: CommandContext): ControllerRecords {
  const target = runtimeTargetOf(flags);
  if (target.runtime === 'kubernetes') {
    const { config, namespace } = loadKubeConfig(target.kube, ctx.env);
    const store = configMapStateStore({ api: kubeApis(config).core, namespace });
    // Only credentials are read: the servers are never reached.
    const runtime = new KubeRuntime({
      config,
      namespace,
      clock: systemClock,
      log: silentLogger(),
      reach: 'pod',
      prober: memberProber,
    });
    return { location: store.location, store, credentials: (db) => runtime.credentials(db) };
  }
  const stateDir = resolve(ctx.cwd, stateDirOf(flags['state-dir'], ctx.env));
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
  flags: RecordsFlags,
  ctx: CommandContext,
): Promise<ControllerState> {
  const records = controllerRecords(flags, ctx);
  const state = await records.store.load();
  if (!state) {
    throw stalled(codes.notFound, `no controller state in ${records.location}`, {
      hint: 'start one with `dbops run --repo ...` (or `npm start` for the demo), or pass --state-dir (or --runtime kubernetes and its flags)',
    });
  }
  return state;
}
