import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresReady } from '../../src/db/postgres/ready.js';
import { redisReady } from '../../src/db/redis/connection.js';
import { readAllRedisSettings } from '../../src/db/redis/settings.js';
import { DbopsError, codes } from '../../src/errors.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import { RedisServers, type TestRedis } from '../helpers/redis-servers.js';

// What the local runtime's MemberProber (src/main.ts) is built on, against real servers.

const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password, cluster: false });
let redis: TestRedis;
let postgres: TestPostgres;
// Accepts connections and never answers: neither database would serve a client there.
let silent: Server;
let silentPort = 0;

beforeAll(async () => {
  redis = await servers.start('probe-0');
  postgres = await startPostgres();
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const addr = silent.address();
  silentPort = typeof addr === 'object' && addr ? addr.port : 0;
});
afterAll(async () => {
  silent?.close();
  await servers.cleanup();
  await postgres?.cleanup();
});

describe('redisReady', () => {
  it('is true with the password, false with another, when nothing listens or nothing answers', async () => {
    const at = { host: redis.host, port: redis.port, timeoutMs: 1000 };
    expect(await redisReady({ ...at, password })).toBe(true);
    expect(await redisReady({ ...at, password: `${password}-nope` })).toBe(false);
    expect(await redisReady({ ...at, port: 1, password })).toBe(false);
    expect(await redisReady({ ...at, port: silentPort, password })).toBe(false);
  });
});

describe('readAllRedisSettings', () => {
  it('reads every setting, keyed by lower-case name', async () => {
    const settings = await readAllRedisSettings({ host: redis.host, port: redis.port, password });
    expect(settings.port).toBe(String(redis.port));
    expect(settings.appendonly).toBe('yes');
    expect(Object.keys(settings).length).toBeGreaterThan(100);
  });

  it('fails with dbAuth on a wrong password, the password not in the message', async () => {
    const wrong = `${password}-nope`;
    const err: unknown = await readAllRedisSettings({
      host: redis.host,
      port: redis.port,
      password: wrong,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.dbAuth);
    expect((err as DbopsError).message).not.toContain(wrong);
  });
});

describe('postgresReady', () => {
  it('is true when the server offers a login, false when nothing listens or nothing answers', async () => {
    expect(await postgresReady(postgres.host, postgres.port)).toBe(true);
    expect(await postgresReady('127.0.0.1', 1)).toBe(false);
    expect(await postgresReady('127.0.0.1', silentPort)).toBe(false);
  });
});
