import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { DeliveryMemory, checkTimestamp, type TimestampCheck } from './replay.js';

describe('DeliveryMemory', () => {
  /** [what, capacity, keys remembered in order, what each remember() returned] */
  const cases: [string, number, string[], boolean[]][] = [
    ['a new key', 3, ['a'], [true]],
    ['the same key twice', 3, ['a', 'a'], [true, false]],
    ['distinct keys', 3, ['a', 'b', 'c'], [true, true, true]],
    ['a replay much later, within capacity', 3, ['a', 'b', 'c', 'a'], [true, true, true, false]],
    [
      'the oldest key is evicted past capacity',
      3,
      ['a', 'b', 'c', 'd', 'a'],
      [true, true, true, true, true],
    ],
    [
      'a seen key becomes the newest again',
      3,
      ['a', 'b', 'c', 'a', 'd', 'a', 'b'],
      [true, true, true, false, true, false, true],
    ],
    ['capacity one', 1, ['a', 'a', 'b', 'a'], [true, false, true, true]],
    ['keys are exact: case and spaces count', 3, ['A', 'a', 'a '], [true, true, true]],
    ['a long key is one key', 2, ['x'.repeat(10_000), 'x'.repeat(10_000)], [true, false]],
  ];
  it.each(cases)('%s', (_what, capacity, keys, want) => {
    const m = new DeliveryMemory(capacity);
    expect(keys.map((k) => m.remember(k))).toEqual(want);
    expect(m.size).toBeLessThanOrEqual(capacity);
  });

  it('keeps the last 10,000 by default', () => {
    const m = new DeliveryMemory();
    for (let i = 0; i < 10_001; i++) m.remember(`d-${i}`);
    expect(m.size).toBe(10_000);
    expect(m.remember('d-10000')).toBe(false);
    expect(m.remember('d-1')).toBe(false);
    expect(m.remember('d-0')).toBe(true);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a capacity of %s', (capacity) => {
    expect(() => new DeliveryMemory(capacity)).toThrow(RangeError);
  });
});

describe('checkTimestamp', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const now = clock.now() / 1000;
  const cases: [string, string, TimestampCheck][] = [
    ['now', String(now), 'fresh'],
    ['1 s ago', String(now - 1), 'fresh'],
    ['exactly 5 minutes ago', String(now - 300), 'fresh'],
    ['5 minutes and 1 s ago', String(now - 301), 'stale'],
    ['an hour ago', String(now - 3600), 'stale'],
    ['zero', '0', 'stale'],
    ['exactly 5 minutes ahead', String(now + 300), 'fresh'],
    ['5 minutes and 1 s ahead', String(now + 301), 'future'],
    ['milliseconds instead of seconds', String(now * 1000), 'future'],
    ['leading zeros', `000${now}`, 'fresh'],
    ['empty', '', 'malformed'],
    ['negative', String(-now), 'malformed'],
    ['decimal', `${now}.0`, 'malformed'],
    ['exponent', '1.7e9', 'malformed'],
    ['hex', '0x69000000', 'malformed'],
    ['spaces inside', `${now} 1`, 'malformed'],
    ['an ISO date', '2026-01-01T12:00:00Z', 'malformed'],
    ['too many digits', '9'.repeat(16), 'malformed'],
  ];
  it.each(cases)('%s -> %s', (_what, value, want) => {
    expect(checkTimestamp(value, clock.now())).toBe(want);
  });

  it('moves with the clock', () => {
    const c = new ManualClock(Date.UTC(2026, 0, 1));
    const sent = String(c.now() / 1000);
    expect(checkTimestamp(sent, c.now())).toBe('fresh');
    c.advance(300_000);
    expect(checkTimestamp(sent, c.now())).toBe('fresh');
    c.advance(1);
    expect(checkTimestamp(sent, c.now())).toBe('stale');
  });

  it('takes another tolerance', () => {
    expect(checkTimestamp(String(now - 10), clock.now(), 5_000)).toBe('stale');
  });
});
