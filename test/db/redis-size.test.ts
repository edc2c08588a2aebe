import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { redisDataBytes } from '../../src/db/redis/size.js';
import { RedisServers, type TestRedis } from '../helpers/redis-servers.js';

const Mi = 1024 * 1024;
const password = `pw-${Math.random().toString(36).slice(2)}`;
const servers = new RedisServers({ password, cluster: false });
let server: TestRedis;
let client: Redis;

const at = () => ({ host: server.host, port: server.port, password });

describe('redisDataBytes on a real redis-server 7.0 (appendonly yes)', () => {
  beforeAll(async () => {
    server = await servers.start('size-0');
    client = new Redis({ ...at(), lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await servers.cleanup();
  });

  it('reports the AOF size, which grows by what was written', async () => {
    const before = await redisDataBytes(at());
    expect(before).toBeGreaterThanOrEqual(0);
    const chunk = 'x'.repeat(Mi);
    for (let i = 0; i < 3; i++) await client.set(`fill:${i}`, chunk);
    const after = await redisDataBytes(at());
    expect(after! - before!).toBeGreaterThanOrEqual(3 * Mi);
    expect(after! - before!).toBeLessThan(4 * Mi);
  });

  it('reports nothing with AOF off: Redis gives no RDB file size', async () => {
    await client.config('SET', 'appendonly', 'no');
    try {
      expect(await redisDataBytes(at())).toBeUndefined();
    } finally {
      await client.config('SET', 'appendonly', 'yes');
    }
  });

  it('fails with DbopsError dbAuth on a wrong password, and dbUnreachable when nothing listens', async () => {
    const wrong = `${password}-nope`;
    const auth: unknown = await redisDataBytes({ ...at(), password: wrong }).catch(
      (e: unknown) => e,
    );
    expect(auth).toBeInstanceOf(DbopsError);
    expect((auth as DbopsError).code).toBe(codes.dbAuth);
    expect((auth as DbopsError).message).not.toContain(wrong);
    const gone: unknown = await redisDataBytes({
      host: '127.0.0.1',
      port: 1,
      password,
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect((gone as DbopsError).code).toBe(codes.dbUnreachable);
  });
});
