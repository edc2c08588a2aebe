import type { Clock } from './clock.js';

/** One try of an intent: done with a value, or a conflict (the target moved: try again). */
export type Attempt<T> = { done: true; value: T } | { done: false; why?: string };

/** How a retried intent ended: its value and the tries it took, or the tries spent in vain. */
export type RetryOutcome<T> =
  { ok: true; value: T; attempts: number } | { ok: false; attempts: number; why: string };

/** Bounds and injected sources of time and chance for `retryOnConflict`. */
export interface RetryPolicy {
  clock: Clock;
  /** Uniform in [0, 1); Math.random in production, a fixed sequence in tests. */
  random: () => number;
  /** Tries in all, the first included (default 5). */
  maxAttempts?: number;
  /** Backoff before the second try; doubles each time, capped at `maxDelayMs` (100, 2000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Called after each conflict with the try's number and the delay before the next. */
  onConflict?: (attempt: number, delayMs: number, why: string | undefined) => void;
}

/**
 * The backoff before try `attempt + 1`: base x 2^(attempt-1), capped, times a jitter factor
 * in [0.5, 1.5) so that writers who collided do not collide again in step. Pure.
 */
export function backoffDelay(
  attempt: number,
  random: number,
  baseDelayMs = 100,
  maxDelayMs = 2000,
): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random));
}

/**
 * Runs `attempt` until it is done: each try re-reads the target and re-applies the intent on
 * what it finds (no text rebase), so a conflict only costs a backoff and another try. Returns
 * `{ ok: false }` after `maxAttempts` conflicts; errors thrown by `attempt` propagate, and an
 * aborted signal rejects the wait between tries. Holds no lock: callers that share a cache
 * serialise themselves.
 */
export async function retryOnConflict<T>(
  attempt: (n: number) => Promise<Attempt<T>>,
  policy: RetryPolicy,
): Promise<RetryOutcome<T>> {
  const max = Math.max(1, policy.maxAttempts ?? 5);
  for (let n = 1; ; n++) {
    const r = await attempt(n);
    if (r.done) return { ok: true, value: r.value, attempts: n };
    if (n >= max) {
      return { ok: false, attempts: n, why: r.why ?? `the target kept moving (${n} tries)` };
    }
    const delay = backoffDelay(n, policy.random(), policy.baseDelayMs, policy.maxDelayMs);
    policy.onConflict?.(n, delay, r.why);
    await policy.clock.sleep(delay, policy.signal);
  }
}
