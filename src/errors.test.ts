import { describe, expect, it } from 'vitest';
import {
  DbopsError,
  codes,
  retryOf,
  stalled,
  transient,
  waiting,
  type RetryDecision,
} from './errors.js';

describe('retryOf', () => {
  const cases: { name: string; err: unknown; want: RetryDecision }[] = [
    {
      name: 'stalled(): needs a human',
      err: stalled(codes.prerequisite, 'mkfs.xfs is not installed', { hint: 'apt-get install' }),
      want: { kind: 'stalled' },
    },
    {
      name: 'waiting(): after its delay',
      err: waiting(codes.replicationFailed, 'the primary is starting', 2000),
      want: { kind: 'waiting', afterMs: 2000 },
    },
    {
      name: 'waiting() with 0 ms: at once',
      err: waiting(codes.clusterFailed, 'slots moving', 0),
      want: { kind: 'waiting', afterMs: 0 },
    },
    {
      name: 'waiting() with a negative delay: at once',
      err: waiting(codes.clusterFailed, 'slots moving', -5),
      want: { kind: 'waiting', afterMs: 0 },
    },
    {
      name: 'transient(): back off',
      err: transient(codes.dbUnreachable, 'connection refused', {
        cause: new Error('ECONNREFUSED'),
      }),
      want: { kind: 'transient' },
    },
    {
      name: 'the constructor with an explicit meaning',
      err: new DbopsError(codes.usage, 'bad flag', { retry: 'stalled' }),
      want: { kind: 'stalled' },
    },
    { name: 'a foreign Error: stalled', err: new Error('boom'), want: { kind: 'stalled' } },
    {
      name: 'a TypeError (a bug): stalled',
      err: new TypeError("Cannot read properties of undefined (reading 'port')"),
      want: { kind: 'stalled' },
    },
    {
      name: 'a raw system error, even one that may pass: stalled until wrapped',
      err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
        code: 'ECONNREFUSED',
      }),
      want: { kind: 'stalled' },
    },
    {
      name: 'a foreign error wrapping a DbopsError: the outer error decides',
      err: new Error('step failed', { cause: transient(codes.timeout, 'slow') }),
      want: { kind: 'stalled' },
    },
    { name: 'a thrown string: stalled', err: 'nope', want: { kind: 'stalled' } },
    { name: 'undefined: stalled', err: undefined, want: { kind: 'stalled' } },
  ];
  it.each(cases)('$name', ({ err, want }) => {
    expect(retryOf(err)).toEqual(want);
  });
});

describe('error constructors', () => {
  it('keep code, message, hint, location and cause, and state the retry meaning', () => {
    const cause = new Error('EACCES');
    const e = stalled(codes.config, 'cannot read keys.yaml', {
      hint: 'check the path',
      location: { file: 'keys.yaml', line: 3 },
      cause,
    });
    expect(e).toMatchObject({
      code: codes.config,
      message: 'cannot read keys.yaml',
      retry: 'stalled',
      hint: 'check the path',
      location: { file: 'keys.yaml', line: 3 },
      cause,
      retryAfterMs: undefined,
    });
    expect(waiting(codes.timeout, 'later', 500)).toMatchObject({
      retry: 'waiting',
      retryAfterMs: 500,
    });
    expect(transient(codes.timeout, 'slow')).toMatchObject({ retry: 'transient' });
  });

  it('have no silent default: the constructor needs a meaning, waiting needs its delay', () => {
    // @ts-expect-error a DbopsError states its retry meaning
    const none = new DbopsError(codes.internal, 'no meaning', {});
    // @ts-expect-error 'waiting' needs retryAfterMs
    const noDelay = new DbopsError(codes.internal, 'no delay', { retry: 'waiting' });
    // The types refuse both; at run time nothing is made up for them, and retryOf stops.
    expect([none.retry, noDelay.retryAfterMs]).toEqual([undefined, undefined]);
    expect(retryOf(none)).toEqual({ kind: 'stalled' });
    expect(retryOf(noDelay)).toEqual({ kind: 'transient' });
  });
});
