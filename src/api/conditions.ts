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
  /** Postgres: every standby streams from the primary. */
  ReplicationHealthy: 'ReplicationHealthy',
  /** The runtime runs another server version than the spec asks for. */
  VersionSubstituted: 'VersionSubstituted',
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
} as const;

/** Reasons attached to conditions. */
export const Reason = {
  Succeeded: 'Succeeded',
  Progressing: 'Progressing',
  InvalidManifest: 'InvalidManifest',
  KeptAtLastGoodRevision: 'KeptAtLastGoodRevision',
  MembersNotReady: 'MembersNotReady',
  ClusterNotReady: 'ClusterNotReady',
  ReplicationNotReady: 'ReplicationNotReady',
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

/** Kubernetes-style condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** ISO time of the last status change. */
  lastTransitionTime: string;
}
