/**
 * Replay protection for webhook deliveries: a bounded memory of the deliveries already
 * processed, and the freshness window of the generic route's signed timestamp.
 */
import { createHash } from 'node:crypto';

/** How many deliveries the memory keeps by default. */
export const defaultDeliveryCapacity = 10_000;

/** How far a signed timestamp may be from the clock, either way: 5 minutes. */
export const timestampToleranceMs = 5 * 60_000;

/**
 * The most recently seen delivery keys, at most `capacity`, least recently seen evicted
 * first. Keys are kept as SHA-256 digests, so a long header costs no more than a short one.
 */
export class DeliveryMemory {
  private readonly seen = new Map<string, true>();

  constructor(readonly capacity = defaultDeliveryCapacity) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`a delivery memory holds at least one key, not ${capacity}`);
    }
  }

  /**
   * Records `key` as seen and returns true when it is new; returns false for a key seen
   * before (which then counts as seen just now).
   */
  remember(key: string): boolean {
    const k = createHash('sha256').update(key).digest('base64');
    const known = this.seen.delete(k);
    this.seen.set(k, true);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return !known;
  }

  /** How many keys the memory holds. */
  get size(): number {
    return this.seen.size;
  }
}

/** Where a signed timestamp stands against the clock. */
export type TimestampCheck = 'fresh' | 'malformed' | 'stale' | 'future';

/**
 * Checks a Unix time in whole seconds (decimal digits only) against `nowMs`: `fresh` within
 * `toleranceMs` either way (the bound included), `stale` when older, `future` when ahead,
 * `malformed` for anything else. Pure.
 */
export function checkTimestamp(
  value: string,
  nowMs: number,
  toleranceMs = timestampToleranceMs,
): TimestampCheck {
  if (!/^\d{1,15}$/.test(value)) return 'malformed';
  const skew = Number(value) * 1000 - nowMs;
  if (skew < -toleranceMs) return 'stale';
  if (skew > toleranceMs) return 'future';
  return 'fresh';
}
