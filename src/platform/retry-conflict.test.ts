import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { backoffDelay, retryOnConflict, type Attempt } from './retry-conflict.js';

describe('backoffDelay', () => {
  it.each([
    // attempt, random, base, max, expected
    [1, 0, 100, 2000, 50],
    [1, 0.5, 100, 2000, 100],
    [2, 0.5, 100, 2000, 200],
    [3, 0.999, 100, 2000, 600],
    [10, 0.5, 100, 2000, 2000],
    [10, 0, 100, 2000, 1000],
  ])('attempt %i, random %f -> %i ms', (attempt, random, base, max, expected) => {
    expect(backoffDelay(attempt, random, base, max)).toBe(expected);
  });
});

/** Drives a retry with a manual clock: advances time whenever the retry sleeps. */
async function drive<T>(
  results: Attempt<T>[],
  opts: { maxAttempts?: number; random?: number[] } = {},
) {
  const clock = new ManualClock(0);
  const randoms = [...(opts.random ?? [0.5, 0.5, 0.5, 0.5, 0.5])];
  const delays: number[] = [];
  const seen: number[] = [];
  const pending = retryOnConflict(
    (n) => {
      seen.push(n);
      return Promise.resolve(results[n - 1] ?? { done: false });
    },
    {
      clock,
      random: () => randoms.shift() ?? 0.5,
      maxAttempts: opts.maxAttempts,
      onConflict: (_n, d) => {
        delays.push(d);
        // The sleep is registered right after this callback returns.
        queueMicrotask(() => clock.advance(d));
      },
    },
  );
  return { outcome: await pending, delays, seen, elapsed: clock.now() };
}

describe('retryOnConflict', () => {
  it('returns the value of the first try that is done, with the number of tries', async () => {
    const r = await drive([{ done: false }, { done: false }, { done: true, value: 'rev' }]);
    expect(r.outcome).toEqual({ ok: true, value: 'rev', attempts: 3 });
    expect(r.seen).toEqual([1, 2, 3]);
    expect(r.delays).toEqual([100, 200]);
    expect(r.elapsed).toBe(300);
  });

  it('does not wait when the first try is done', async () => {
    const r = await drive([{ done: true, value: 1 }]);
    expect(r.outcome).toEqual({ ok: true, value: 1, attempts: 1 });
    expect(r.delays).toEqual([]);
  });

  it('gives up after maxAttempts conflicts, with the last reason', async () => {
    const r = await drive([{ done: false }, { done: false, why: 'branch moved' }], {
      maxAttempts: 2,
    });
    expect(r.outcome).toEqual({ ok: false, attempts: 2, why: 'branch moved' });
    expect(r.seen).toEqual([1, 2]);
  });

  it('jitters each wait with the injected random source', async () => {
    const r = await drive([{ done: false }, { done: false }, { done: true, value: 0 }], {
      random: [0, 0.999],
    });
    expect(r.delays).toEqual([50, 300]);
  });

  it('propagates an error thrown by a try and stops', async () => {
    const clock = new ManualClock(0);
    let tries = 0;
    await expect(
      retryOnConflict(
        () => {
          tries++;
          return Promise.reject(new Error('auth failed'));
        },
        { clock, random: () => 0.5 },
      ),
    ).rejects.toThrow('auth failed');
    expect(tries).toBe(1);
  });
});
