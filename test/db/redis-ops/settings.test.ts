import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../../src/errors.js';
import { applyRedisSettings, readRedisSettings } from '../../../src/db/redis/settings.js';
import { RedisServers, type TestRedis } from '../../helpers/redis-servers.js';

const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password, cluster: false });
let server: TestRedis;

const at = () => ({ host: server.host, port: server.port, password });
const read = (keys: string[]) => readRedisSettings({ ...at(), keys });
const apply = (target: Record<string, string>) => applyRedisSettings({ ...at(), target });

async function runId(): Promise<string> {
  const r = new Redis({ ...at(), lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return /run_id:(\w+)/.exec(await r.info('server'))?.[1] ?? '';
  } finally {
    r.disconnect();
  }
}

async function refusal(target: Record<string, string>): Promise<DbopsError> {
  const err: unknown = await apply(target).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DbopsError);
  return err as DbopsError;
}

describe('Redis settings on a real standalone redis-server 7.0', () => {
  beforeAll(async () => {
    server = await servers.start('settings-0');
  });
  afterAll(async () => {
    await servers.cleanup();
  });

  it('reads canonical values, keyed by lower-case name, leaving out unknown keys', async () => {
    expect(await read(['maxmemory', 'HZ', 'databases', 'save', 'no-such-setting'])).toEqual({
      maxmemory: '0',
      hz: '10',
      databases: '16',
      save: '',
    });
  });

  it('applies mutable keys live and reports immutable and protected ones', async () => {
    const before = await runId();
    const res = await apply({
      maxmemory: '67108864',
      hz: '10',
      'maxmemory-policy': 'allkeys-lru',
      databases: '32',
      daemonize: 'no',
      dir: '/tmp',
      save: '900 1 300 10',
      'client-output-buffer-limit':
        'normal 0 0 0 slave 268435456 67108864 60 pubsub 16777216 8388608 60',
    });
    expect(res.changed).toEqual([
      'maxmemory',
      'maxmemory-policy',
      'save',
      'client-output-buffer-limit',
    ]);
    // daemonize is already "no": equal values need nothing, even for immutable keys.
    expect(res.needRestart.sort()).toEqual(['databases', 'dir']);
    expect(
      await read([
        'maxmemory',
        'maxmemory-policy',
        'databases',
        'save',
        'client-output-buffer-limit',
      ]),
    ).toEqual({
      maxmemory: '67108864',
      'maxmemory-policy': 'allkeys-lru',
      databases: '16',
      save: '900 1 300 10',
      'client-output-buffer-limit':
        'normal 0 0 0 slave 268435456 67108864 60 pubsub 16777216 8388608 60',
    });
    expect(await runId()).toBe(before);
  });

  it('changes nothing when every value already matches', async () => {
    const current = await read([
      'maxmemory',
      'hz',
      'save',
      'client-output-buffer-limit',
      'io-threads',
    ]);
    expect(await apply(current)).toEqual({ changed: [], needRestart: [] });
  });

  it('refuses a bad value, naming the key and Redis reason, and applies none of the keys', async () => {
    const err = await refusal({ hz: '30', maxmemory: 'lots', 'maxmemory-policy': 'volatile-lru' });
    expect(err.code).toBe(codes.invalidField);
    expect(err.retry).toBe('stalled');
    expect(err.message).toContain('maxmemory "lots"');
    expect(err.message).toContain('argument must be a memory value');
    expect(await read(['hz', 'maxmemory', 'maxmemory-policy'])).toEqual({
      hz: '10',
      maxmemory: '67108864',
      'maxmemory-policy': 'allkeys-lru',
    });
  });

  it('refuses a bad value after sorting out restart-only keys, still applying nothing', async () => {
    const err = await refusal({ databases: '8', hz: '25', 'maxmemory-policy': 'sometimes' });
    expect(err.code).toBe(codes.invalidField);
    expect(err.message).toContain('maxmemory-policy "sometimes"');
    expect(await read(['hz', 'databases'])).toEqual({ hz: '10', databases: '16' });
  });

  it('refuses an unknown key by name', async () => {
    const err = await refusal({ hz: '12', 'no-such-setting': 'x' });
    expect(err.code).toBe(codes.invalidField);
    expect(err.message).toContain('no-such-setting');
    expect(await read(['hz'])).toEqual({ hz: '10' });
  });

  it('rejects a key that is a glob pattern before talking to Redis', async () => {
    await expect(read(['max*'])).rejects.toMatchObject({ code: codes.invalidField });
    await expect(apply({ 'hz ': '1', '*': '1' })).rejects.toMatchObject({
      code: codes.invalidField,
    });
  });

  it('keeps a sensitive value out of the error message', async () => {
    const err = await refusal({ masterauth: 'top-secret-value', hz: 'many' });
    expect(err.message).toContain('hz "many"');
    expect(err.message).not.toContain('top-secret-value');
    expect(err.message).not.toContain(password);
  });

  it('throws dbAuth on a wrong password', async () => {
    const wrong = readRedisSettings({ ...at(), password: `${password}-x`, keys: ['hz'] });
    await expect(wrong).rejects.toMatchObject({ code: codes.dbAuth });
  });
});
