import { describe, expect, it } from 'vitest';
import { canonicalValue, classifyConfigSetError, differingKeys } from './settings.js';

describe('classifyConfigSetError', () => {
  // Messages as redis-server 7.0.15 prints them.
  it.each([
    [
      "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
      { kind: 'restart', key: 'databases', reason: "can't set immutable config" },
    ],
    [
      "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
      { kind: 'restart', key: 'dir', reason: "can't set protected config" },
    ],
    [
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value",
      { kind: 'invalid', key: 'maxmemory', reason: 'argument must be a memory value' },
    ],
    [
      "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer",
      { kind: 'invalid', key: 'hz', reason: "argument couldn't be parsed into an integer" },
    ],
    [
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter",
      { kind: 'invalid', key: 'maxmemory', reason: 'duplicate parameter' },
    ],
    [
      "ERR Unknown option or number of arguments for CONFIG SET - 'foo'",
      { kind: 'invalid', key: 'foo', reason: 'unknown setting' },
    ],
    [
      "ERR wrong number of arguments for 'config|set' command",
      {
        kind: 'invalid',
        key: undefined,
        reason: "wrong number of arguments for 'config|set' command",
      },
    ],
    [
      "ERR CONFIG SET failed (possibly related to argument 'Save') - Invalid save parameters",
      { kind: 'invalid', key: 'save', reason: 'Invalid save parameters' },
    ],
  ])('%s', (message, expected) => {
    expect(classifyConfigSetError(message)).toEqual(expected);
  });
});

describe('canonicalValue', () => {
  it.each([
    ['67108864', '67108864'],
    ['  yes ', 'yes'],
    ['3600 1  300 100\t60 10000', '3600 1 300 100 60 10000'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(canonicalValue(input)).toBe(expected);
  });
});

describe('differingKeys', () => {
  const current = {
    maxmemory: '0',
    hz: '10',
    save: '3600 1 300 100 60 10000',
    'client-output-buffer-limit':
      'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
  };
  it.each<[string, Record<string, string>, string[]]>([
    ['equal values', { maxmemory: '0', hz: '10' }, []],
    ['a changed value', { maxmemory: '67108864', hz: '10' }, ['maxmemory']],
    ['a key Redis did not report', { 'no-such-key': 'x' }, ['no-such-key']],
    [
      'an upper-case key compares to the lower-case name',
      { HZ: '10', MaxMemory: '1' },
      ['maxmemory'],
    ],
    ['multi-value settings compare as printed', { save: '3600 1 300 100 60 10000' }, []],
    ['a multi-value change', { save: '900 1' }, ['save']],
    [
      'client-output-buffer-limit with other whitespace',
      {
        'client-output-buffer-limit':
          ' normal 0 0 0  slave 268435456 67108864 60 pubsub 33554432 8388608 60',
      },
      [],
    ],
    ['an empty value differs from a set one', { save: '' }, ['save']],
    ['units are not interpreted: targets are canonical', { maxmemory: '0mb' }, ['maxmemory']],
  ])('%s', (_name, target, expected) => {
    expect(differingKeys(current, target)).toEqual(expected);
  });
});
