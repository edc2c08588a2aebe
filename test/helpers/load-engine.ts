/**
 * The pacing engine behind the load writers: a few loops, each awaiting one write, keep a
 * target rate; every acknowledged id, failure and latency is recorded for the report.
 */
import { setMaxListeners } from 'node:events';
import { systemClock, type Clock } from '../../src/platform/clock.js';

/** What a load run did. Latencies are of acknowledged writes, in milliseconds. */
export interface LoadReport {
  attempted: number;
  acknowledged: number;
  failed: number;
  /** The first 10 distinct error messages. */
  errors: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  durationMs: number;
  /** Acknowledged writes not readable at verify(). */
  lost: number;
}

/** A running load. */
export interface LoadWriter {
  /** Stops issuing writes, waits for those in flight, closes the writing client. Idempotent. */
  stop(): Promise<void>;
  /** Stops, then reads back every acknowledged write with a fresh client. Throws if it cannot. */
  verify(): Promise<LoadReport>;
  /** Counts so far, for waiting on a condition while the load runs. */
  progress(): { acknowledged: number; failed: number };
}

/** Pacing and bounds shared by both writers. */
export interface LoadOptions {
  /** Target writes per millisecond; default 1.25 (a margin over the 1/ms tests demand). */
  ratePerMs?: number;
  /** Loops each awaiting one write, so one slow write does not stall the rate; default 4. */
  concurrency?: number;
  /** The writer stops by itself after this long even if stop() is never called; default 120 s. */
  maxDurationMs?: number;
  /** Paces the loops and bounds the run; default systemClock. */
  clock?: Clock;
}

/** One database the engine writes to and reads back from. */
export interface LoadTarget {
  write(id: number): Promise<void>;
  /** How many of `ids` cannot be read back. */
  countLost(ids: number[]): Promise<number>;
  close(): Promise<void>;
}

// After an outage the loops catch up on missed writes, but only this many ms worth: an
// unbounded burst would measure the client's queue, not the database.
const maxBacklogMs = 50;

/**
 * Starts the write loops against `target`; they stop on stop() or after `maxDurationMs`, and
 * also after `ratePerMs x maxDurationMs` writes.
 */
export function startLoadEngine(target: LoadTarget, opts: LoadOptions): LoadWriter {
  const clock = opts.clock ?? systemClock;
  const rate = opts.ratePerMs ?? 1.25;
  const maxDurationMs = opts.maxDurationMs ?? 120_000;
  const abort = new AbortController();
  const concurrency = opts.concurrency ?? 4;
  // Every sleeping loop listens for the abort, plus the max-duration timer.
  setMaxListeners(concurrency + 1, abort.signal);
  const acked: number[] = [];
  const latencies: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  let issued = 0;
  let t0 = clock.now();
  const started = t0;
  let ended: number | undefined;
  const maxWrites = Math.ceil(rate * maxDurationMs);

  const loop = async () => {
    while (!abort.signal.aborted && issued < maxWrites) {
      const due = Math.floor((clock.now() - t0) * rate) + 1;
      if (due - issued > rate * maxBacklogMs) t0 += (due - issued - rate * maxBacklogMs) / rate;
      if (issued >= due) {
        await clock.sleep(1, abort.signal).catch(() => undefined);
        continue;
      }
      const id = issued++;
      const t = performance.now();
      try {
        await target.write(id);
        latencies.push(performance.now() - t);
        acked.push(id);
      } catch (err) {
        failed += 1;
        if (errors.size < 10) errors.add(err instanceof Error ? err.message : String(err));
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      abort.abort();
      await Promise.all(loops);
      ended = clock.now();
      await target.close().catch(() => undefined);
    })());
  void clock.sleep(maxDurationMs, abort.signal).then(stop, () => undefined);

  let report: Promise<LoadReport> | undefined;
  const verify = () =>
    (report ??= (async () => {
      await stop();
      const lost = await target.countLost(acked).catch((err: unknown) => {
        // Let the caller bring the server back and verify again.
        report = undefined;
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`cannot read back ${acked.length} acknowledged writes: ${why}`, {
          cause: err,
        });
      });
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) =>
        round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
      return {
        attempted: issued,
        acknowledged: acked.length,
        failed,
        errors: [...errors],
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: round(sorted[sorted.length - 1]),
        durationMs: (ended ?? clock.now()) - started,
        lost,
      };
    })());
  return { stop, verify, progress: () => ({ acknowledged: acked.length, failed }) };
}

const round = (ms: number | undefined) => Math.round((ms ?? 0) * 1000) / 1000;

/** A short random id that makes one run's keys unique. */
export const runId = () => Math.random().toString(36).slice(2, 10);

/** Slices `items` into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
