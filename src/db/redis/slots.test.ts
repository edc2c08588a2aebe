import { describe, expect, it } from 'vitest';
import { formatRanges, splitSlots, toRanges } from './slots.js';

describe('splitSlots', () => {
  it.each([
    [1, [[0, 16383]]],
    [
      2,
      [
        [0, 8191],
        [8192, 16383],
      ],
    ],
    [
      3,
      [
        [0, 5461],
        [5462, 10922],
        [10923, 16383],
      ],
    ],
    [
      5,
      [
        [0, 3276],
        [3277, 6553],
        [6554, 9830],
        [9831, 13107],
        [13108, 16383],
      ],
    ],
  ])('%i shards', (shards, expected) => {
    expect(splitSlots(shards)).toEqual(expected);
  });

  it('covers every slot exactly once, the first 16384 % n shards one larger', () => {
    for (const n of [3, 7, 10, 100, 16384]) {
      const r = splitSlots(n);
      expect(r[0]?.[0]).toBe(0);
      expect(r.at(-1)?.[1]).toBe(16383);
      r.forEach(([a, b], i) => {
        if (i > 0) expect(a).toBe((r[i - 1]?.[1] ?? -5) + 1);
        expect(b - a + 1).toBe(Math.floor(16384 / n) + (i < 16384 % n ? 1 : 0));
      });
    }
  });

  it.each([0, -1, 1.5, 16385])('rejects %s shards', (n) => {
    expect(() => splitSlots(n)).toThrow(RangeError);
  });
});

describe('toRanges / formatRanges', () => {
  it.each([
    [[], ''],
    [[5], '5'],
    [[1, 2, 3, 7, 9, 10], '1-3,7,9-10'],
  ])('%j -> %s', (slots, text) => {
    expect(formatRanges(toRanges(slots))).toBe(text);
  });
});
