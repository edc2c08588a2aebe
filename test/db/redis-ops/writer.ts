/**
 * A client writing continuously during a day-2 operation: one SET at a time, each awaited,
 * about one per millisecond, remembering what was acknowledged and what failed, with the
 * latency of every write. Failover and rolling-restart tests assert on it.
 */
import { performance } from 'node:perf_hooks';
import type { Cluster } from 'ioredis';
import type { Clock } from '../../../src/platform/clock.js';

/** One write as the client saw it; `at` is the clock time it was sent. */
export interface WriteSample {
  at: number;
  ms: number;
  key: string;
  error?: string;
}

/** A running writer. */
export interface Writer {
  /** Every write so far, in order. */
  readonly samples: WriteSample[];
  /** Stops after the write in flight and resolves when the loop has ended. */
  stop(): Promise<void>;
}

/** The value written under a key: tests read it back to prove the write survived. */
export function valueOf(key: string): string {
  return `v:${key}`;
}

/** Starts writing `keyOf(0)`, `keyOf(1)`, ... until stopped. */
export function startWriter(
  cluster: Cluster,
  opts: { clock: Clock; keyOf: (i: number) => string; pauseMs?: number },
): Writer {
  const samples: WriteSample[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const key = opts.keyOf(i);
      const at = opts.clock.now();
      const t0 = performance.now();
      try {
        await cluster.set(key, valueOf(key));
        samples.push({ at, ms: performance.now() - t0, key });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        samples.push({ at, ms: performance.now() - t0, key, error });
      }
      await opts.clock.sleep(opts.pauseMs ?? 1);
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** Count, failures and latency percentiles of the writes sent within `[from, to]`. */
export function summarize(samples: readonly WriteSample[], from = -Infinity, to = Infinity) {
  const inWindow = samples.filter((s) => s.at >= from && s.at <= to);
  const ms = inWindow.map((s) => s.ms).sort((a, b) => a - b);
  const pct = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)] ?? 0;
  return {
    writes: inWindow.length,
    failed: inWindow.filter((s) => s.error !== undefined).length,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: ms[ms.length - 1] ?? 0,
  };
}
