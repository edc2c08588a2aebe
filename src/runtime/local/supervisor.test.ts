import { describe, expect, it } from 'vitest';
import { restartBackoff } from './supervisor.js';

describe('restartBackoff', () => {
  const cases: [number | undefined, number, number, number][] = [
    // current, uptime, delay, next
    [undefined, 0, 1_000, 2_000],
    [2_000, 500, 2_000, 4_000],
    [16_000, 59_999, 16_000, 30_000],
    [30_000, 1_000, 30_000, 30_000],
    [30_000, 60_000, 1_000, 2_000],
    [undefined, 120_000, 1_000, 2_000],
  ];
  for (const [current, uptime, delay, next] of cases) {
    it(`current ${current} after ${uptime} ms up -> wait ${delay}, then ${next}`, () => {
      expect(restartBackoff(current, uptime)).toEqual({ delay, next });
    });
  }

  it('walks 1, 2, 4, 8, 16, 30, 30 s for a member that keeps crashing', () => {
    const delays: number[] = [];
    let current: number | undefined;
    for (let i = 0; i < 7; i++) {
      const b = restartBackoff(current, 100);
      delays.push(b.delay);
      current = b.next;
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});
