import { DbopsError, codes, stalled, transient } from '../errors.js';
import { redact, safeCause } from './redact.js';

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'ABORT_ERR',
  'UND_ERR_SOCKET',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
]);

/** What went wrong while talking to a remote, as far as dbops cares. */
export type RemoteFailure =
  | { kind: 'auth'; status: number }
  | { kind: 'missing-ref' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'other' };

/** Sorts an isomorphic-git or socket error into the failures a user can act on. Pure. */
export function classifyRemoteError(err: unknown): RemoteFailure {
  const e = err as {
    code?: unknown;
    data?: { statusCode?: unknown; what?: unknown };
    message?: unknown;
  };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === 'HttpError') {
    const status = typeof e.data?.statusCode === 'number' ? e.data.statusCode : 0;
    if (status === 401 || status === 403) return { kind: 'auth', status };
    if (status === 404) return { kind: 'unreachable', reason: 'HTTP 404: no repository there' };
    return { kind: 'unreachable', reason: `HTTP ${status}` };
  }
  if (code === 'UserCanceledError') return { kind: 'auth', status: 401 };
  const what = e?.data?.what;
  if (code === 'NotFoundError' && typeof what === 'string' && what.startsWith('refs/heads/')) {
    return { kind: 'missing-ref' };
  }
  if (code === 'SmartHttpError') {
    return { kind: 'unreachable', reason: 'the server does not speak smart HTTP' };
  }
  if (networkCodes.has(code) || (err as Error)?.name === 'AbortError') {
    return { kind: 'unreachable', reason: message };
  }
  return { kind: 'other' };
}

/**
 * Turns a failure of a remote operation into a DbopsError that names the credential-free URL
 * and never carries a secret (message, hint or cause). Returns `err` as is when it already is
 * a DbopsError.
 */
export function remoteError(
  err: unknown,
  ctx: { url: string; branch: string; secrets: readonly string[]; branches?: string[] },
): DbopsError {
  if (err instanceof DbopsError) return err;
  const cause = safeCause(err, ctx.secrets);
  const failure = classifyRemoteError(err);
  switch (failure.kind) {
    case 'auth':
      return stalled(
        codes.sourceAuth,
        `${ctx.url} refused the credentials (HTTP ${failure.status})`,
        {
          cause,
          hint: 'set DBOPS_GIT_TOKEN (or DBOPS_GIT_USERNAME and DBOPS_GIT_PASSWORD) to credentials that may read the repository',
        },
      );
    case 'missing-ref': {
      const known = ctx.branches?.length ? `; branches: ${ctx.branches.join(', ')}` : '';
      return stalled(
        codes.sourceRef,
        `branch '${ctx.branch}' does not exist in ${ctx.url}${known}`,
        { cause, hint: 'check the configured branch, or push it' },
      );
    }
    case 'unreachable':
      return transient(
        codes.sourceUnreachable,
        `cannot reach ${ctx.url}: ${redact(failure.reason, ctx.secrets)}`,
        { cause, hint: 'check the URL and the network; dbops retries with backoff' },
      );
    case 'other':
      return transient(
        codes.sourceUnreachable,
        `cannot read ${ctx.url}#${ctx.branch}: ${cause.message}`,
        { cause, hint: 'dbops retries with backoff; if it persists, delete the clone cache' },
      );
  }
}
