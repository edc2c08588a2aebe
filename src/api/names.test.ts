import { describe, expect, it } from 'vitest';
import { isDnsLabel } from './names.js';

describe('isDnsLabel', () => {
  it.each([
    ['a', true],
    ['cache-0', true],
    ['0a', true],
    ['orders-cache', true],
    ['a-b-c', true],
    ['a--b', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['', false],
    ['A', false],
    ['Cache', false],
    ['-a', false],
    ['a-', false],
    ['a--', false],
    ['a_b', false],
    ['a.b', false],
    ['a b', false],
    ['a/b', false],
    ['%2e%2e', false],
    ['café', false],
    ['a\n', false],
  ])('%j -> %s', (name, ok) => {
    expect(isDnsLabel(name)).toBe(ok);
  });
});
