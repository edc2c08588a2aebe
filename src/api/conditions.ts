/** Condition types and reasons: the names scripts can rely on in `dbops status --output json`. */
export const Cond = {
  /** Summary: every member runs and the database serves (cluster ok, standbys streaming). */
  Ready: 'Ready',
  /** Summary: the controller is working towards the desired state. */
  Reconciling: 'Reconciling',
  /** Summary: progress needs a human (invalid manifests with no good revision, a hard failure). */
  Stalled: 'Stalled',
  /** The database's manifests at the newest revision are valid. */
  ManifestValid: 'ManifestValid',
  /** Every member process runs and accepts connections. */
  MembersReady: 'MembersReady',
  /** Redis Cluster: cluster_state ok, every shard has its master and replicas. */
  ClusterHealthy: 'ClusterHealthy',
  /** Postgres: every standby streams from the primary (and enough are synchronous for commits). */
  ReplicationHealthy: 'ReplicationHealthy',
  /** The runtime runs another server version than the spec asks for. */
  VersionSubstituted: 'VersionSubstituted',
  /** Postgres spec.init.script: the init scripts ran (or were skipped) before Ready. */
  Initialized: 'Initialized',
  /** The database is halted: processes stopped, data kept. */
  Halted: 'Halted',
  /** Source: every commit since the last applied revision is signed by a trusted key. */
  SourceVerified: 'SourceVerified',
  /** Autoscaler: usage is above the threshold but the volume is at upperBound (a warning). */
  AutoscalerAtUpperBound: 'AutoscalerAtUpperBound',
  /** Autoscaler: its last decision could not be committed (refused by the source, conflicts). */
  AutoscalerCommitFailed: 'AutoscalerCommitFailed',
  /** Autoscaler (review mode): a decision waits on its branch for a merge. */
  AutoscalerAwaitingMerge: 'AutoscalerAwaitingMerge',
  /** The spec asks for a smaller volume than the database has: it stays (volumes never shrink). */
  VolumeSize: 'VolumeSize',
  /** The spec asks for a change this version cannot carry out (resharding, a version change). */
  UnsupportedChange: 'UnsupportedChange',
} as const;

/** One of the condition types above. */
export type ConditionType = (typeof Cond)[keyof typeof Cond];

/** The summary conditions, derived from the others (reconcile/conditions.ts `summarize`). */
export type SummaryConditionType =
  typeof Cond.Ready | typeof Cond.Reconciling | typeof Cond.Stalled;

/** The conditions that steps set themselves. */
export type DetailConditionType = Exclude<ConditionType, SummaryConditionType>;

/** Reasons attached to conditions. */
export const Reason = {
  Succeeded: 'Succeeded',
  Progressing: 'Progressing',
  /** Ready before the first time the database was ready. */
  Provisioning: 'Provisioning',
  /** Ready after the database was ready once. */
  NotReady: 'NotReady',
  /** Ready and Reconciling of a halted database. */
  Halted: 'Halted',
  /** Reconciling: an operation of the database runs. */
  OperationProgressing: 'OperationProgressing',
  /** Reconciling: a step failed and is retried. */
  Retrying: 'Retrying',
  /** Reconciling: the controller leaves the database as it is (the message says why). */
  Kept: 'Kept',
  /** VolumeSize: the reason repeats the type (as the status JSON has always shown it). */
  VolumeSize: 'VolumeSize',
  /** UnsupportedChange: the reason repeats the type. */
  UnsupportedChange: 'UnsupportedChange',
  InvalidManifest: 'InvalidManifest',
  KeptAtLastGoodRevision: 'KeptAtLastGoodRevision',
  MembersNotReady: 'MembersNotReady',
  ClusterNotReady: 'ClusterNotReady',
  ReplicationNotReady: 'ReplicationNotReady',
  /** Initialized: the init scripts wait for the primary, or run. */
  InitPending: 'InitPending',
  /** Initialized: a script failed; nothing of them was committed. */
  InitScriptFailed: 'InitScriptFailed',
  /** Initialized: the scripts did not run (spec.init.initialized, or the database existed). */
  InitSkipped: 'InitSkipped',
  /** ReplicationHealthy: fewer synchronous standbys are connected than commits wait for. */
  SynchronousStandbysMissing: 'SynchronousStandbysMissing',
  HaltedBySpec: 'HaltedBySpec',
  ManifestRemoved: 'ManifestRemoved',
  DoNotTerminate: 'DoNotTerminate',
  VersionNotInstalled: 'VersionNotInstalled',
  StepFailed: 'StepFailed',
  PrerequisiteMissing: 'PrerequisiteMissing',
  UpperBoundReached: 'UpperBoundReached',
  Verified: 'Verified',
  UntrustedCommit: 'UntrustedCommit',
  CommitRefused: 'CommitRefused',
  CommitConflicts: 'CommitConflicts',
  SourceError: 'SourceError',
  ReviewBranchPushed: 'ReviewBranchPushed',
} as const;

/** One of the reasons above. */
export type ConditionReason = (typeof Reason)[keyof typeof Reason];

/**
 * Kubernetes-style condition. `type` and `reason` stay strings when read back (a status file
 * of a newer version may carry names this one does not know); they are written from the
 * constants above only (setCondition takes nothing else).
 */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** ISO time of the last status change. */
  lastTransitionTime: string;
}
