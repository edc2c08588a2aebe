import { lockStateDir } from './state-lock.js';
import { loadState, StateWriter, statusPath, type ControllerState } from './store.js';

/**
 * Where the controller keeps its state (databases, operations and their steps, autoscalers):
 * loaded once at start, saved after every change. Built in the composition root: a file in
 * the state dir for the local runtime; cluster objects for Kubernetes.
 */
export interface StateStore {
  /** Where the state lives, for messages: a path, or a cluster object's name. */
  readonly location: string;
  /** The saved state, or undefined when nothing was saved yet. A corrupt one throws. */
  load(): Promise<ControllerState | undefined>;
  /** Saves a snapshot of `state`; saves are serialised, and the newest wins. */
  save(state: ControllerState): Promise<void>;
}

/** Held leadership: give it up, or learn that it was lost. */
export interface Leadership {
  /** Aborts when the leadership is lost (it could not be renewed in time): stop acting. */
  readonly lost: AbortSignal;
  /** Gives the leadership up, so that another controller can take over at once. */
  release(): Promise<void>;
}

/** The right to act: one controller at a time per state (a lock file, a Lease). */
export interface LeaderLock {
  /**
   * Takes the leadership. A lock file throws a stateLocked DbopsError naming who holds it; a
   * Lease waits, as a standby, until it can take over or `signal` aborts.
   */
  acquire(signal?: AbortSignal): Promise<Leadership>;
}

/** The state as `status.json` in `stateDir`, written atomically. */
export function fileStateStore(stateDir: string): StateStore {
  const writer = new StateWriter(stateDir);
  return {
    location: statusPath(stateDir),
    load: () => loadState(stateDir),
    save: (state) => writer.save(state),
  };
}

/** `controller.lock` in `stateDir`: one controller per state dir on this machine. */
export function fileLeaderLock(stateDir: string): LeaderLock {
  return {
    async acquire() {
      const release = await lockStateDir(stateDir);
      // Nobody can take a lock file from a live process: it is never lost.
      return { release, lost: new AbortController().signal };
    },
  };
}
