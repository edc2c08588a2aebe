import type { DatabaseSpec } from './desired.js';
import type { Condition } from './conditions.js';
import type { ManifestError } from './manifest-error.js';

/**
 * The stable JSON shape of `dbops status --output json` (apiVersion dbops.dev/v1). Fields are
 * only ever added, never renamed or removed, within v1.
 */
export interface StatusDocument {
  apiVersion: 'dbops.dev/v1';
  /** Newest revision fetched from the source (null before the first fetch). */
  revision: string | null;
  source: string;
  runtime: string;
  updatedAt: string;
  /** Source problems (unreachable, auth, untrusted commits) of the last fetch, if any. */
  sourceError: string | null;
  /** Conditions of the source: SourceVerified when trusted commits are required. */
  conditions: Condition[];
  /** Manifest errors of the newest revision. */
  errors: ManifestError[];
  databases: DatabaseStatus[];
  opsRequests: OpsRequestStatus[];
  /** Storage autoscalers of the newest revision, with their last sample and decision. */
  autoscalers: AutoscalerStatus[];
}

/** One storage autoscaler (RedisAutoscaler / PostgresAutoscaler). */
export interface AutoscalerStatus {
  name: string;
  kind: 'RedisAutoscaler' | 'PostgresAutoscaler';
  database: string;
  /** `trigger: On`. */
  enabled: boolean;
  usageThresholdPercent: number;
  /** Where decisions go: the watched branch, or review branches `<prefix>/<database>-<time>`. */
  mode: 'commit' | 'review';
  /** Conditions: AutoscalerAtUpperBound, AutoscalerCommitFailed, AutoscalerAwaitingMerge. */
  conditions: Condition[];
  /** The latest sample of every member's volume (null before the first sample). */
  usage: {
    sampledAt: string;
    /** When the database-reported sizes were last read (at most every 30 s); absent: never. */
    dataSampledAt?: string;
    members: {
      member: string;
      usedBytes: number;
      capacityBytes: number;
      sizeBytes: number;
      /**
       * What the server reports its data takes at `dataSampledAt`: Postgres, every database
       * plus the WAL directory; Redis, its AOF files (it reports no RDB file size, so nothing
       * with AOF off). A signal only: the trigger is `usedBytes`. Absent: not reported.
       */
      dataBytes?: number;
    }[];
  } | null;
  lastDecision: AutoscalerDecisionStatus | null;
  /** Counters since the state dir was created. */
  decisions: Record<string, number>;
  commitAttempts: number;
  commitConflicts: number;
}

/** An autoscaler's decision to expand, and what became of its commit. */
export interface AutoscalerDecisionStatus {
  at: string;
  member: string;
  usedPercent: number;
  thresholdPercent: number;
  fromBytes: number;
  toBytes: number;
  /** The OpsRequest file the decision writes (relative to the source's sub-path). */
  file: string;
  /**
   * Committing: not yet on the remote (a round that loses every race keeps it, and the next
   * round tries the same file again); Committed: on the watched branch; AwaitingMerge: on a
   * review branch; Superseded: the new head made it moot (someone expanded, or turned the
   * autoscaler off); Failed: the source refused the commit (see AutoscalerCommitFailed).
   */
  result: 'Committing' | 'Committed' | 'AwaitingMerge' | 'Superseded' | 'Failed';
  commit: string | null;
  branch: string | null;
  /** Pushes tried for this decision so far, over every round. */
  attempts: number;
  message: string;
}

/** Database phases, from conditions (see reconcile/summarize.ts). */
export type DatabasePhase = 'Provisioning' | 'Ready' | 'NotReady' | 'Halted' | 'Failed';

/** One database. */
export interface DatabaseStatus {
  name: string;
  kind: 'Redis' | 'Postgres';
  /** Standalone | Cluster for Redis; Standalone | Replicated for Postgres. */
  mode: string;
  phase: DatabasePhase;
  /** The revision whose spec is applied (the last good one). */
  revision: string | null;
  version: { desired: string; running: string | null };
  conditions: Condition[];
  members: MemberStatus[];
  /**
   * Each effective field with its value and where it came from (the spec file or an
   * OpsRequest, and the commit): `spec.storageBytes`, `spec.config.maxmemory`, ...
   */
  effective: Record<string, { value: unknown; file: string; line?: number; commit?: string }>;
  /** The spec the database runs at (provisioning and successful operations move it). */
  applied: DatabaseSpec | null;
  /** Halted because its manifest was removed (data kept). */
  haltedForRemoval: boolean;
  /** spec.init.script: whether the init scripts ran, and how it went. */
  init?: InitStatus;
}

/** The init scripts of a database (spec.init.script), run once when it is created. */
export interface InitStatus {
  configMap: string;
  /** sha256 of the scripts that ran (or failed). */
  digest: string;
  /** Running: begun, its transaction not yet known to be committed. */
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped';
  message: string;
  /** ISO time of the last change of phase. */
  at: string;
  /** Running: the transaction id, so a controller started after a crash can tell the outcome. */
  txid?: string;
}

/** One member of a database. */
export interface MemberStatus {
  name: string;
  role: string;
  /** A Postgres standby's sync_state as its primary reports it: sync, quorum, potential, async. */
  syncState?: string;
  endpoint: string;
  ready: boolean;
  restarts: number;
  volume: { type: string; capacityBytes: number; usedBytes: number };
}

/** OpsRequest phases (DESIGN §3). */
export type OpsPhase = 'Pending' | 'Progressing' | 'Successful' | 'Failed' | 'Skipped';

/** One OpsRequest and its step history. */
export interface OpsRequestStatus {
  name: string;
  database: string;
  type: string;
  phase: OpsPhase;
  /** The OpsRequest file; null for an operation derived from a spec change. */
  file: string | null;
  digest: string | null;
  /** `OpsRequest` (a file under ops/) or `SpecChange` (derived from an edited spec). */
  origin: 'OpsRequest' | 'SpecChange';
  /** The commit that brought it. */
  revision: string | null;
  /** 1-based place in its database's queue while Pending, else null. */
  position: number | null;
  reason: string | null;
  message: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  steps: StepStatus[];
}

/** One step of an operation. */
export interface StepStatus {
  name: string;
  phase: 'Running' | 'Succeeded' | 'Failed';
  startedAt: string;
  finishedAt: string | null;
  message: string | null;
}
