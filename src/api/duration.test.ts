import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['0', 0],
    ['2h', 7_200_000],
    ['1m30s500ms', 90_500],
    ['1000us', 1],
    ['3000000ns', 3],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['', /empty/],
    ['-5s', /negative/],
    ['5', /not a duration/],
    ['5d', /not a duration/],
    ['s', /without a number/],
    ['1.5ms5', /not a duration/],
    ['1ns', /whole number of milliseconds/],
    ['abc', /not a duration/],
    ['9'.repeat(80) + 'h', /too long/],
    ['99999999999999h', /too long a duration/],
  ])('%s is rejected', (text, message) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});
