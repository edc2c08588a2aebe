/**
 * One catalog of user-visible errors. Each has a stable code (DBOPS_E_*), a retry meaning,
 * and a hint that tells the user what to do. Messages never carry secrets.
 */

/** How the caller should react: stop and wait for a human, retry after a while, or back off. */
export type Retry = 'stalled' | 'waiting' | 'transient';

/** Stable error codes; add new ones here, never rename. */
export const codes = {
  // manifests
  yamlSyntax: 'DBOPS_E_YAML_SYNTAX',
  yamlAliases: 'DBOPS_E_YAML_ALIASES',
  fileTooLarge: 'DBOPS_E_FILE_TOO_LARGE',
  unknownKind: 'DBOPS_E_UNKNOWN_KIND',
  unknownApiVersion: 'DBOPS_E_UNKNOWN_API_VERSION',
  invalidField: 'DBOPS_E_INVALID_FIELD',
  missingField: 'DBOPS_E_MISSING_FIELD',
  unknownField: 'DBOPS_E_UNKNOWN_FIELD',
  invalidName: 'DBOPS_E_INVALID_NAME',
  invalidQuantity: 'DBOPS_E_INVALID_QUANTITY',
  duplicateName: 'DBOPS_E_DUPLICATE_NAME',
  unknownDatabase: 'DBOPS_E_UNKNOWN_DATABASE',
  unknownConfigMap: 'DBOPS_E_UNKNOWN_CONFIGMAP',
  unsupported: 'DBOPS_E_UNSUPPORTED',
  forbiddenConfig: 'DBOPS_E_FORBIDDEN_CONFIG',
  opsEdited: 'DBOPS_E_OPS_EDITED',
  // policies
  invalidExpression: 'DBOPS_E_INVALID_EXPRESSION',
  policyNotOverridable: 'DBOPS_E_POLICY_NOT_OVERRIDABLE',
  policyDenied: 'DBOPS_E_POLICY_DENIED',
  // source
  sourceUnreachable: 'DBOPS_E_SOURCE_UNREACHABLE',
  sourceAuth: 'DBOPS_E_SOURCE_AUTH',
  sourceRef: 'DBOPS_E_SOURCE_REF',
  sourceUntrusted: 'DBOPS_E_SOURCE_UNTRUSTED',
  // runtime and databases
  prerequisite: 'DBOPS_E_PREREQUISITE',
  processFailed: 'DBOPS_E_PROCESS_FAILED',
  /** Members the runtime is still bringing up (pods scheduling, volumes binding). */
  membersPending: 'DBOPS_E_MEMBERS_PENDING',
  portsExhausted: 'DBOPS_E_PORTS_EXHAUSTED',
  clusterFailed: 'DBOPS_E_CLUSTER',
  dbUnreachable: 'DBOPS_E_DB_UNREACHABLE',
  dbAuth: 'DBOPS_E_DB_AUTH',
  dbWarmStandby: 'DBOPS_E_DB_WARM_STANDBY',
  replicationFailed: 'DBOPS_E_REPLICATION',
  stateCorrupt: 'DBOPS_E_STATE_CORRUPT',
  stateLocked: 'DBOPS_E_STATE_LOCKED',
  notFound: 'DBOPS_E_NOT_FOUND',
  secretMissing: 'DBOPS_E_SECRET_MISSING',
  secretInvalid: 'DBOPS_E_SECRET_INVALID',
  initFailed: 'DBOPS_E_INIT_FAILED',
  unknownSetting: 'DBOPS_E_UNKNOWN_SETTING',
  // command line and configuration
  usage: 'DBOPS_E_USAGE',
  config: 'DBOPS_E_CONFIG',
  timeout: 'DBOPS_E_TIMEOUT',
  internal: 'DBOPS_E_INTERNAL',
} as const;

/** One of the stable codes above. */
export type ErrorCode = (typeof codes)[keyof typeof codes];

/** Where in the desired-state repository an error points to. */
export interface Location {
  file: string;
  line?: number;
  column?: number;
  field?: string;
}

/** What a user-visible error carries besides its code, message and retry meaning. */
export interface ErrorDetails {
  /** What to do about it. */
  hint?: string;
  /** Where in the desired-state repository it points to. */
  location?: Location;
  /** The error it wraps. */
  cause?: unknown;
}

/** A retry meaning as the constructor takes it: `waiting` says how long to wait. */
export type RetryMeaning =
  | { retry: 'stalled' | 'transient'; retryAfterMs?: undefined }
  | { retry: 'waiting'; retryAfterMs: number };

/**
 * A user-visible error: a code, what happened, what to do, and whether to retry. Every one
 * states its retry meaning; `stalled`, `waiting` and `transient` below make them.
 */
export class DbopsError extends Error {
  readonly code: ErrorCode;
  readonly retry: Retry;
  readonly hint: string | undefined;
  readonly location: Location | undefined;
  /** For retry 'waiting': how long to wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, opts: RetryMeaning & ErrorDetails) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DbopsError';
    this.code = code;
    this.retry = opts.retry;
    this.hint = opts.hint;
    this.location = opts.location;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** An error that needs a human (bad input, a missing prerequisite): retrying cannot help. */
export function stalled(code: ErrorCode, message: string, details: ErrorDetails = {}): DbopsError {
  return new DbopsError(code, message, { ...details, retry: 'stalled' });
}

/** Not a failure yet: something is on its way (a primary starting); try again after `ms`. */
export function waiting(
  code: ErrorCode,
  message: string,
  ms: number,
  details: ErrorDetails = {},
): DbopsError {
  return new DbopsError(code, message, { ...details, retry: 'waiting', retryAfterMs: ms });
}

/** A failure that may pass by itself (a member that does not answer): back off and retry. */
export function transient(
  code: ErrorCode,
  message: string,
  details: ErrorDetails = {},
): DbopsError {
  return new DbopsError(code, message, { ...details, retry: 'transient' });
}

/** What to do after a failure: stop for a human, try again after `afterMs`, or back off. */
export type RetryDecision =
  { kind: 'stalled' } | { kind: 'waiting'; afterMs: number } | { kind: 'transient' };

/**
 * The one retry decision for anything thrown, used by the operation engine and by the
 * reconcile alike. A DbopsError says what it means. Any other error (a TypeError, a raw
 * library or filesystem error) is `stalled`: nobody classified it, so retrying is a guess.
 * That is the safe side at both call sites: an operation fails at once instead of retrying
 * a deterministic failure until its deadline (and one without `spec.timeout` has none, while
 * it holds its database); a reconcile is still repaired on the next poll, and its status
 * says Stalled with the error instead of hiding it behind Retrying. Wrap a foreign error in
 * `transient` where it is known to pass (connection refused, timeouts).
 */
export function retryOf(err: unknown): RetryDecision {
  if (!(err instanceof DbopsError)) return { kind: 'stalled' };
  const ms = err.retryAfterMs;
  if (err.retry === 'waiting' && ms !== undefined && Number.isFinite(ms)) {
    return { kind: 'waiting', afterMs: Math.max(0, ms) };
  }
  // The types require a delay with 'waiting': one made around them backs off, never spins.
  if (err.retry === 'waiting' || err.retry === 'transient') return { kind: 'transient' };
  return { kind: 'stalled' };
}

/** Renders an error for a person: `file:line:col field: message (CODE)\n  hint`. */
export function formatError(err: unknown): string {
  if (err instanceof DbopsError) {
    const loc = err.location;
    const where = loc
      ? `${loc.file}${loc.line ? `:${loc.line}` : ''}${loc.column ? `:${loc.column}` : ''}${loc.field ? ` ${loc.field}` : ''}: `
      : '';
    return `${where}${err.message} (${err.code})${err.hint ? `\n  ${err.hint}` : ''}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when the error is a DbopsError with the given code. */
export function isCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof DbopsError && err.code === code;
}
