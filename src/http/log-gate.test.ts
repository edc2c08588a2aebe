import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { LogGate } from './log-gate.js';

describe('LogGate', () => {
  /** [what, steps: [advance ms, key], what admit() returned at each step] */
  const cases: [string, [number, string][], (number | undefined)[]][] = [
    ['the first line passes', [[0, 'a']], [0]],
    [
      'a burst: one line',
      [
        [0, 'a'],
        [0, 'a'],
        [5000, 'a'],
      ],
      [0, undefined, undefined],
    ],
    [
      'after the interval, the count of the rest',
      [
        [0, 'a'],
        [0, 'a'],
        [0, 'a'],
        [10_000, 'a'],
      ],
      [0, undefined, undefined, 2],
    ],
    [
      'just before the interval is still quiet',
      [
        [0, 'a'],
        [9_999, 'a'],
        [1, 'a'],
      ],
      [0, undefined, 1],
    ],
    [
      'keys are independent',
      [
        [0, 'a'],
        [0, 'b'],
        [0, 'a'],
        [0, 'b'],
      ],
      [0, 0, undefined, undefined],
    ],
    [
      'the count restarts after a line',
      [
        [0, 'a'],
        [0, 'a'],
        [10_000, 'a'],
        [10_000, 'a'],
      ],
      [0, undefined, 1, 0],
    ],
  ];
  it.each(cases)('%s', (_what, steps, want) => {
    const clock = new ManualClock();
    const gate = new LogGate(clock, 10_000);
    const got = steps.map(([ms, key]) => {
      clock.advance(ms);
      return gate.admit(key);
    });
    expect(got).toEqual(want);
  });
});
