import { describe, expect, it } from 'vitest';
import { redisMemoryBytes } from './memory-headroom.js';

describe('redisMemoryBytes', () => {
  it.each([
    ['100000', 100_000],
    ['64mb', 64 * 1024 ** 2],
    ['64MB', 64 * 1024 ** 2],
    ['1gb', 1024 ** 3],
    ['1g', 1000 ** 3],
    ['5k', 5000],
    ['5kb', 5120],
    ['0', 0],
    ['64 mb', 64 * 1024 ** 2],
    ['lots', undefined],
    ['1tb', undefined],
    ['-1mb', undefined],
  ])('%s', (value, bytes) => {
    expect(redisMemoryBytes(value)).toBe(bytes);
  });
});
