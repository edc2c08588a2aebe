import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyConfigSetError } from '../../src/db/redis/settings.js';
import { postgresRestartKeys, redisRestartKeys } from '../../src/plan/restart-settings.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';
import { RedisServers } from '../helpers/redis-servers.js';

const sorted = (keys: Iterable<string>) => [...keys].sort();

/**
 * Starts a redis-server, sets every key `CONFIG GET *` lists to its own value, and sorts the
 * refusals the way the Reconfigure's apply step does (restart or invalid).
 */
async function deriveRedis(cluster: boolean) {
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const servers = new RedisServers({ password, cluster });
  const server = await servers.start(cluster ? 'cluster' : 'standalone');
  const client = new Redis({ host: server.host, port: server.port, password, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = String(await client.call('INFO', 'server'));
    const flat = ((await client.call('CONFIG', 'GET', '*')) as unknown[]).map(String);
    const restart: string[] = [];
    const invalid: string[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const key = flat[i] ?? '';
      try {
        await client.call('CONFIG', 'SET', key, flat[i + 1] ?? '');
      } catch (err) {
        const refusal = classifyConfigSetError(err instanceof Error ? err.message : String(err));
        if (refusal.kind === 'restart' && refusal.key === key.toLowerCase()) restart.push(key);
        else invalid.push(`${key}: ${refusal.reason}`);
      }
    }
    return {
      version: /redis_version:(\S+)/.exec(info)?.[1],
      listed: flat.length / 2,
      restart: restart.map((k) => k.toLowerCase()),
      invalid,
    };
  } finally {
    client.disconnect();
    await servers.cleanup();
  }
}

describe('redisRestartKeys against the real redis-server', () => {
  it.each([false, true])('equals what CONFIG SET refuses (cluster-enabled %s)', async (cluster) => {
    const got = await deriveRedis(cluster);
    expect(got.version).toMatch(/^7\.0\./);
    expect(got.listed).toBeGreaterThan(100);
    // Each key is either taken back or refused as needing a restart; anything else would
    // leave that key unclassified.
    expect(got.invalid).toEqual([]);
    expect(sorted(got.restart)).toEqual(sorted(redisRestartKeys));
  });
});

describe('postgresRestartKeys against the real Postgres 15', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it("equals pg_settings' postmaster-context parameters", async () => {
    const c = new pg.Client({
      host: server.host,
      port: server.port,
      user: server.user,
      password: server.password,
      database: 'postgres',
    });
    await c.connect();
    try {
      const version = await c.query<{ v: string }>(
        "SELECT current_setting('server_version_num') AS v",
      );
      expect(Math.floor(Number(version.rows[0]?.v) / 10000)).toBe(15);
      const rows = await c.query<{ name: string }>(
        "SELECT name FROM pg_settings WHERE context = 'postmaster' ORDER BY name",
      );
      expect(sorted(rows.rows.map((r) => r.name.toLowerCase()))).toEqual(
        sorted(postgresRestartKeys),
      );
    } finally {
      await c.end();
    }
  });
});
