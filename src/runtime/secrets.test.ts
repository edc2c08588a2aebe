import { describe, expect, test } from 'vitest';
import type { DatabaseSpec } from '../api/desired.js';
import { codes, DbopsError } from '../errors.js';
import {
  configOf,
  credentialsOf,
  layeredConfig,
  withoutSecretValues,
  type SecretStore,
} from './secrets.js';
import { thrown } from '../../test/helpers/thrown.js';

const store: Pick<SecretStore, 'where' | 'howToCreate'> = {
  where: 'secrets dir /s',
  howToCreate: (name, keys) => `write /s/${name}.yaml with ${keys.join(', ')}`,
};
const redis = { name: 'cache', kind: 'Redis' } as const;
const postgres = { name: 'orders', kind: 'Postgres' } as const;

describe('credentialsOf', () => {
  test.each([
    ['password only', redis, { password: 'p1' }, { username: 'default', password: 'p1' }],
    [
      'Redis default user',
      redis,
      { username: 'default', password: 'p2' },
      { username: 'default', password: 'p2' },
    ],
    [
      'Postgres superuser',
      postgres,
      { username: 'postgres', password: 'p3' },
      { username: 'postgres', password: 'p3' },
    ],
  ] as const)('%s', (_, spec, data, want) => {
    expect(credentialsOf(store, spec, 'auth', { ...data })).toEqual(want);
  });

  test.each([
    ['no password key', postgres, { username: 'postgres' }, /Secret auth .* has no "password" key/],
    ['an empty password', redis, { password: '' }, /has no "password" key/],
    [
      'another user',
      postgres,
      { username: 'admin', password: 'hunter2' },
      /username "admin"; dbops logs in to Postgres as "postgres"/,
    ],
  ] as const)(
    'refuses %s, waiting, without the password in the message',
    (_, spec, data, message) => {
      const err = thrown(() => credentialsOf(store, spec, 'auth', { ...data }));
      expect(err.code).toBe(codes.secretInvalid);
      expect(err.retry).toBe('waiting');
      expect(err.message).toMatch(message);
      expect(err.message).toContain('secrets dir /s');
      expect(`${err.message} ${err.hint}`).not.toContain('hunter2');
    },
  );
});

describe('configOf', () => {
  test('parses the settings of the key', () => {
    expect(
      configOf('Secret c', 'redis.conf', { 'redis.conf': 'maxmemory 64mb\nappendonly yes\n' }),
    ).toEqual({
      maxmemory: '64mb',
      appendonly: 'yes',
    });
    expect(configOf('Secret c', 'user.conf', { 'user.conf': "work_mem = '8MB'" })).toEqual({
      work_mem: '8MB',
    });
  });

  test.each([
    [
      'a missing key, naming the keys there',
      { 'valkey.conf': 'x 1' },
      codes.secretInvalid,
      /has no "redis.conf" key \(it has "valkey.conf"\)/,
    ],
    [
      'a setting dbops manages',
      { 'redis.conf': 'requirepass s3cr3t-value' },
      codes.forbiddenConfig,
      /line 1 of redis.conf: "requirepass" is managed by dbops/,
    ],
    [
      'a line without a value',
      { 'redis.conf': 'maxmemory' },
      codes.invalidField,
      /"maxmemory" has no value/,
    ],
  ] as const)('refuses %s, waiting, without values', (_, data, code, message) => {
    const err = thrown(() => configOf('Secret c', 'redis.conf', { ...data }));
    expect(err.code).toBe(code);
    expect(err.retry).toBe('waiting');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('s3cr3t-value');
  });
});

describe('layeredConfig', () => {
  const spec = {
    name: 'cache',
    kind: 'Redis',
    config: { maxmemory: '1mb' },
  } as unknown as DatabaseSpec;
  test('inline wins over the Secret; an empty layer leaves the spec as it is', () => {
    expect(layeredConfig(spec, { maxmemory: '9mb', appendonly: 'yes' }).config).toEqual({
      maxmemory: '1mb',
      appendonly: 'yes',
    });
    expect(layeredConfig(spec, {})).toBe(spec);
  });
});

describe('withoutSecretValues', () => {
  const spec = {
    name: 'cache',
    kind: 'Redis',
    configSecretName: 'cfg',
    config: { maxmemory: '1mb' },
  } as unknown as DatabaseSpec;
  const rejection = (key: string, value: string) =>
    new DbopsError(
      codes.invalidField,
      `redis rejects "${key}" in the configuration of cache: bad (>>> '${key} ${value}')`,
      {
        retry: 'stalled',
      },
    );

  test('hides the value of a setting that came from the Secret', () => {
    const err = withoutSecretValues(rejection('hz', 'seekrit'), spec, {
      hz: 'seekrit',
    }) as DbopsError;
    expect(err.message).toBe(
      'the server rejects "hz" from Secret cfg (spec.configuration.secretName of cache); its value is not shown',
    );
    expect(err.code).toBe(codes.invalidField);
  });

  test('leaves a rejection of an inline setting, or another error, as it is', () => {
    const inline = rejection('maxmemory', '1mb');
    expect(withoutSecretValues(inline, spec, { maxmemory: '2mb' })).toBe(inline);
    const other = new Error('boom');
    expect(withoutSecretValues(other, spec, { hz: '1' })).toBe(other);
  });
});
