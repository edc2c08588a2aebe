import type { DatabaseKind, DatabaseSpec } from '../api/desired.js';
import type { MemberPlan, PlannedRole } from '../api/members.js';

// The plan's vocabulary, which the Runtime interface takes; it lives in api/ (plan/ is pure).
export type { MemberPlan, PlannedRole };

/** Where a member can be reached from the controller. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Generated per database; never written to Git or logs. */
export interface Credentials {
  username: string;
  password: string;
}

/** A member's volume: where it is, how large it is, how much is used. */
export interface VolumeStatus {
  path?: string;
  /** `directory` (capacity accounted by dbops) or `loop` (a real filesystem image). */
  type: 'directory' | 'loop' | 'pvc';
  /** What the filesystem can hold (statfs), or the accounted capacity of a directory. */
  capacityBytes: number;
  usedBytes: number;
  /**
   * The size the volume is provisioned at (a loop image's length, a PVC's capacity), which a
   * filesystem never fully shows (XFS keeps its log out of statfs). Absent: `capacityBytes`.
   */
  sizeBytes?: number;
}

/** What the runtime sees of one member. */
export interface ObservedMember {
  name: string;
  shard: number;
  ordinal: number;
  role: PlannedRole;
  /** Where the controller reaches the member (a local port-forward, or the member itself). */
  endpoint: Endpoint;
  /**
   * Where the other members reach it, when that differs from `endpoint` (a pod's address
   * behind a port-forward): what a Redis Cluster member is met and announced at.
   */
  peer?: Endpoint;
  /** Process (or pod) alive and accepting connections on its port. */
  running: boolean;
  /**
   * An opaque id of the running instance, absent while none runs: it changes whenever the
   * member is restarted or replaced (the local runtime gives the process id, the Kubernetes
   * runtime the pod's uid). Compare it; do not parse it.
   */
  instance?: string;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: number };
  /** Server version actually running, e.g. "7.0.15". */
  version?: string;
  volume: VolumeStatus;
}

/** What the runtime has for one database. */
export interface ObservedDatabase {
  name: string;
  kind: DatabaseKind;
  halted: boolean;
  members: ObservedMember[];
  /** The spec the runtime last applied (used to halt/wipe after the manifest disappears). */
  lastSpec?: DatabaseSpec;
  /** Notes for conditions, e.g. "version 16 asked, 15.18 installed: running 15.18". */
  notes: string[];
}

/**
 * The result of a runtime call that may have to wait for something outside dbops: done (with
 * its value), or waiting, with what for and when to look again.
 */
export type Progress<T = undefined> =
  { done: true; value: T } | { done: false; waiting: string; retryAfterMs: number };

/** Done, with `value`. */
export const finished = <T = undefined>(value?: T): Progress<T> => ({
  done: true,
  value: value as T,
});

/** How a volume expansion treats the member's server (seed 001). */
export type ExpansionMode = 'Online' | 'Offline';

/** A database's summary as a runtime publishes it (publishStatus). */
export interface PublishedStatus {
  phase: string;
  /** The Ready condition's message: why it is not ready, or that it is. */
  message: string;
}

/** Something the runtime noticed between reconciles; the controller reconciles that database. */
export interface RuntimeEvent {
  database: string;
  member?: string;
  type: 'member-exited' | 'member-started' | 'member-restarted' | 'member-ready';
  message: string;
}

/**
 * The runtime contract shared by the local and the Kubernetes implementations. Every method
 * is idempotent: calling it again after a crash at any point converges to the same result.
 */
export interface Runtime {
  readonly kind: 'local' | 'kubernetes';
  /** Names of every database the runtime holds anything for (running or halted). */
  list(): Promise<string[]>;
  /** Everything the runtime has for a database, or undefined when it has nothing. */
  observe(database: string): Promise<ObservedDatabase | undefined>;
  /**
   * The size and use of every member's volume, cheaply (filesystem statistics, no probe of
   * the server): what the storage autoscaler samples. Empty when the database has no members.
   */
  volumeUsage(database: string): Promise<{ member: string; volume: VolumeStatus }[]>;
  /** Generates the database's credentials once; later calls return the same ones. */
  ensureCredentials(spec: DatabaseSpec): Promise<Credentials>;
  /** Credentials of a database, or undefined when none were generated. */
  credentials(database: string): Promise<Credentials | undefined>;
  /**
   * Brings the members to the plan: volumes, configuration and running instances, in order
   * (Postgres standbys are cloned from the primary). Members not in the plan are stopped and
   * their data kept. Done when every member runs and accepts connections; a runtime whose
   * members come up outside its control (pods being scheduled, volumes binding) says it is
   * waiting instead of blocking, and the controller calls again later. Idempotent.
   */
  ensureMembers(spec: DatabaseSpec, members: MemberPlan[], signal?: AbortSignal): Promise<Progress>;
  /** Restarts one member (stop, then start with the current configuration). */
  restartMember(database: string, member: string, signal?: AbortSignal): Promise<void>;
  /**
   * Checks, without touching any member, that the server of `spec`'s version accepts its
   * configuration, and returns the settings it would run with: for Redis every setting, for
   * Postgres the value of each custom key as the server parses it. How is the runtime's (the
   * local runtime starts a scratch server on the rendered config; a cluster runtime may run
   * the same binary in a short-lived pod). A rejected key or value is a DbopsError naming it.
   */
  validateConfig(spec: DatabaseSpec): Promise<{ settings: Record<string, string> }>;
  /**
   * Writes every member's configuration files for `spec` and records it as the database's
   * spec, without restarting or signalling anything: a later restart or reload applies it.
   */
  writeConfig(spec: DatabaseSpec): Promise<void>;
  /**
   * Grows one member's volume to at least `bytes` (VolumeExpansion, seed 001). `Online`: under
   * the running server. `Offline`: the runtime takes the member down for the growth and
   * brings it back with its data. How is the runtime's (a loop image and its filesystem grown
   * in place; a PVC resized, its pod replaced); a growth that completes later (a PVC resize)
   * is `waiting`: call again. Never shrinks (a smaller size is a no-op). Idempotent.
   */
  expandVolume(
    database: string,
    member: string,
    bytes: number,
    mode: ExpansionMode,
    signal?: AbortSignal,
  ): Promise<Progress<VolumeStatus>>;
  /**
   * After every member's volume grew: makes `bytes` the size that members created later get
   * (a StatefulSet's claim template, which cannot change in place, is replaced without
   * touching its pods). Idempotent.
   */
  finishVolumeExpansion(database: string, bytes: number, signal?: AbortSignal): Promise<Progress>;
  /** Stops every member of a database and keeps its volumes, config and credentials. */
  halt(database: string): Promise<void>;
  /** Stops every member and deletes everything the runtime holds for the database. */
  wipe(database: string): Promise<void>;
  /** Registers a listener for runtime events; returns a function that removes it. */
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  /**
   * Shows a database's summary where the runtime's own tools see it (Kubernetes: on its root
   * object, for kubectl); absent where there is no such place. Best effort, called when the
   * summary changes.
   */
  publishStatus?(database: string, status: PublishedStatus): Promise<void>;
  /**
   * Releases the runtime. With `stopMembers`, members are stopped cleanly (the demo's
   * Ctrl-C) and their volumes released (a loop volume is unmounted; the next start mounts it
   * again); without, they keep running and a later controller adopts them.
   */
  close(opts: { stopMembers: boolean }): Promise<void>;
}
