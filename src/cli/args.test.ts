import { describe, expect, it } from 'vitest';
import { DbopsError } from '../errors.js';
import { branchOf, oneOf, parseCommand, stateDirOf, subPathOf } from './args.js';

describe('cli arguments', () => {
  it.each([
    ['main', 'main'],
    ['release/1.2', 'release/1.2'],
    ['feature-x', 'feature-x'],
  ])('accepts branch %s', (input, want) => expect(branchOf(input)).toBe(want));

  it.each(['', '-x', 'a..b', 'a b', 'x.lock', 'a:b', '/abs', 'a\nb'])(
    'rejects branch %j',
    (input) => {
      expect(() => branchOf(input)).toThrow(DbopsError);
    },
  );

  it.each([
    ['deploy/prod', 'deploy/prod'],
    ['./a/./b/', 'a/b'],
    ['.', ''],
  ])('normalises path %s', (input, want) => expect(subPathOf(input)).toBe(want));

  it.each(['../x', 'a/../../b', '/etc'])('rejects path %s', (input) => {
    expect(() => subPathOf(input)).toThrow(/--path/);
  });

  it('takes the state dir from the flag, then the environment, then .dbops', () => {
    expect(stateDirOf('/s', { DBOPS_STATE_DIR: '/e' })).toBe('/s');
    expect(stateDirOf(undefined, { DBOPS_STATE_DIR: '/e' })).toBe('/e');
    expect(stateDirOf(undefined, {})).toBe('.dbops');
  });

  it('names the flag and the accepted values', () => {
    expect(() => oneOf('output', 'yaml', ['table', 'json'], 'table')).toThrow(
      "--output 'yaml' is not valid: expected table | json",
    );
  });

  it('rejects unknown flags and extra arguments with a usage error', () => {
    expect(() => parseCommand('status', ['--bogus'], {}, 1)).toThrow(
      /dbops status: Unknown option/,
    );
    expect(() => parseCommand('status', ['a', 'b'], {}, 1)).toThrow(/unexpected argument 'b'/);
  });
});
