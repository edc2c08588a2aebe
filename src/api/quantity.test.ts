import { describe, expect, it } from 'vitest';
import { formatBytes, parseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['1Gi', 1073741824],
    ['1536Mi', 1610612736],
    ['1.5Gi', 1610612736],
    ['500M', 500_000_000],
    ['1k', 1000],
    ['1Ki', 1024],
    ['0', 0],
    ['1073741824', 1073741824],
    ['+2Mi', 2097152],
    ['.5Ki', 512],
    ['1e3', 1000],
    ['1E3', 1000],
    ['2000m', 2],
    ['4Pi', 4 * 2 ** 50],
    [' 1Gi ', 1073741824],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('%s -> %d bytes', (text, bytes) => {
    expect(parseQuantity(text)).toEqual({ ok: true, bytes });
  });

  it.each([
    ['', /empty/],
    ['-1Gi', /negative/],
    ['1.3Ki', /whole number of bytes/],
    ['1500m', /whole number of bytes/],
    ['1GB', /not a Kubernetes quantity/],
    ['1 Gi', /not a Kubernetes quantity/],
    ['Gi', /no digits/],
    ['abc', /not a Kubernetes quantity/],
    ['8Ei', /too large/],
    ['9007199254740992', /too large/],
    ['1e400', /out of range/],
    ['1'.repeat(100), /too long/],
    ['1.5.5Gi', /not a Kubernetes quantity/],
  ])('%s is rejected', (text, message) => {
    const r = parseQuantity(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('formatBytes', () => {
  it.each([
    [1610612736, '1536Mi'],
    [1073741824, '1Gi'],
    [1024, '1Ki'],
    [1000, '1000'],
    [3 * 2 ** 40, '3Ti'],
    [2 ** 50, '1Pi'],
    [0, '0'],
    [1536, '1536'],
  ])('%d -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([['1Gi'], ['1536Mi'], ['7Ki'], ['12345']])('round-trips %s', (text) => {
    const r = parseQuantity(text);
    expect(r.ok && formatBytes(r.bytes)).toBe(text);
  });
});
