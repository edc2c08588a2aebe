import { describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../errors.js';
import { crashHookFromEnv, crashPoint, parseCrashPoint } from './crash-hook.js';

describe('parseCrashPoint', () => {
  it.each([
    {
      text: 'VolumeExpansion:expand-volumes:before',
      want: { opType: 'VolumeExpansion', step: 'expand-volumes', when: 'before' },
    },
    {
      text: ' Restart:restart-0:after ',
      want: { opType: 'Restart', step: 'restart-0', when: 'after' },
    },
    {
      // Step names of rolling operations carry the member: cycle:<member>, failover:shard0:<m>.
      text: 'Reconfigure:failover:shard0:c-shard0-1:after',
      want: { opType: 'Reconfigure', step: 'failover:shard0:c-shard0-1', when: 'after' },
    },
  ])('parses $text', ({ text, want }) => {
    expect(parseCrashPoint(text)).toEqual(want);
  });

  it.each([
    'Restart',
    'Restart:step',
    'Restart:step:during',
    'Restart::after',
    ':step:after',
    'Restart:st ep:after',
  ])('rejects %j with a config error that says how to write it', (text) => {
    let err: unknown;
    try {
      parseCrashPoint(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.config);
    expect((err as DbopsError).hint).toContain('<opType>:<step>:<before|after>');
  });
});

describe('crashHookFromEnv', () => {
  it.each([{}, { DBOPS_CRASH_AT: '' }, { DBOPS_CRASH_AT: '  ' }])(
    'is undefined without a crash point (%j)',
    (env) => {
      expect(crashHookFromEnv(env, () => undefined)).toBeUndefined();
    },
  );

  it('throws on a malformed crash point instead of silently not crashing', () => {
    expect(() => crashHookFromEnv({ DBOPS_CRASH_AT: 'Restart:x' })).toThrow(DbopsError);
  });

  it('kills only at the named point', () => {
    const killed: string[] = [];
    let at = '';
    const hook = crashHookFromEnv({ DBOPS_CRASH_AT: 'Restart:restart-1:after' }, () =>
      killed.push(at),
    );
    const points = [
      crashPoint('Restart', 'restart-0', 'before'),
      crashPoint('Restart', 'restart-0', 'after'),
      crashPoint('Restart', 'restart-1', 'before'),
      crashPoint('Reconfigure', 'restart-1', 'after'),
      crashPoint('Restart', 'restart-1', 'after'),
      crashPoint('Restart', 'restart-2', 'after'),
    ];
    for (const p of points) {
      at = p;
      hook?.(p);
    }
    expect(killed).toEqual(['Restart:restart-1:after']);
  });
});
