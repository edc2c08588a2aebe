import type { Clock } from '../platform/clock.js';

/** The default spacing of lines of one kind: 10 s. */
export const defaultLogIntervalMs = 10_000;

/**
 * Bounds how often a kind of log line is written: at most one per `intervalMs` per key,
 * and the next line written says how many were suppressed in between. Keys are a small
 * fixed set (reasons), never client input.
 */
export class LogGate {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = defaultLogIntervalMs,
  ) {}

  /**
   * Returns the number of lines suppressed since the last one of `key` when a line may be
   * written now, or undefined when this one is suppressed (and counted).
   */
  admit(key: string): number | undefined {
    const now = this.clock.now();
    const prev = this.last.get(key);
    if (prev && now - prev.at < this.intervalMs) {
      prev.suppressed += 1;
      return undefined;
    }
    this.last.set(key, { at: now, suppressed: 0 });
    return prev?.suppressed ?? 0;
  }
}
