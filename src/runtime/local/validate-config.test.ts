import { describe, expect, it } from 'vitest';
import { postgresComplaint } from './validate-postgres.js';
import { redisConfigFailure } from './validate-redis.js';

const fatal = (line: string, reason: string) =>
  [
    '',
    '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***',
    'Reading the configuration file, at line 14',
    `>>> '${line}'`,
    reason,
    '',
  ].join('\n');

describe('redisConfigFailure', () => {
  it.each([
    {
      name: 'a bad value',
      output: fatal('maxmemory "lots"', 'argument must be a memory value'),
      want: {
        key: 'maxmemory',
        line: `'maxmemory "lots"'`,
        reason: 'argument must be a memory value',
      },
    },
    {
      name: 'an unknown directive',
      output: fatal('no-such-directive x', 'Bad directive or wrong number of arguments'),
      want: {
        key: 'no-such-directive',
        line: `'no-such-directive x'`,
        reason: 'Bad directive or wrong number of arguments',
      },
    },
    {
      name: 'log lines before the report',
      output: `1:C 21 Nov 2026 # oO0OoO0OoO0Oo Redis is starting\n${fatal('save 1', 'Invalid save parameters')}`,
      want: { key: 'save', line: `'save 1'`, reason: 'Invalid save parameters' },
    },
    { name: 'no report', output: "Fatal error, can't open config file", want: undefined },
  ])('$name', ({ output, want }) => {
    expect(redisConfigFailure(output)).toEqual(want);
  });
});

describe('postgresComplaint', () => {
  it.each([
    {
      stderr:
        '2026-11-21 21:20:21.151 GMT [27556] FATAL:  invalid value for parameter "shared_buffers": "banana"\n',
      want: 'invalid value for parameter "shared_buffers": "banana"',
    },
    {
      stderr: 'FATAL:  unrecognized configuration parameter "nonesuch"\n',
      want: 'unrecognized configuration parameter "nonesuch"',
    },
    {
      stderr:
        'LOG:  x\nFATAL:  invalid value for parameter "work_mem": "1 parsec"\nHINT:  Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".\n',
      want: 'invalid value for parameter "work_mem": "1 parsec" (Valid units for this parameter are "B", "kB", "MB", "GB", and "TB".)',
    },
    {
      stderr: 'postgres: could not access directory\nsecond line\n',
      want: 'postgres: could not access directory / second line',
    },
  ])('$want', ({ stderr, want }) => {
    expect(postgresComplaint(stderr)).toBe(want);
  });
});
