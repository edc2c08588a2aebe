import { Redis } from 'ioredis';
import { codes, stalled, transient } from '../../errors.js';

/** Where and how to reach one Redis server. */
export interface RedisTarget {
  host: string;
  port: number;
  password: string;
  /** Connect and per-command timeout; default 3000 ms. */
  timeoutMs?: number;
}

/** True when a Redis error means the password was refused (never retried). */
export function isAuthError(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /WRONGPASS|NOAUTH|invalid password|AUTH failed/i.test(text);
}

/**
 * Runs `fn` with a plain (non-cluster) ioredis client: no offline queue, no reconnects, one
 * try per command, and always disconnects. Connection failures become DbopsError
 * `dbUnreachable`, refused passwords `dbAuth`; the password never appears in either.
 */
export async function withRedis<T>(target: RedisTarget, fn: (r: Redis) => Promise<T>): Promise<T> {
  const timeout = target.timeoutMs ?? 3000;
  const client = new Redis({
    host: target.host,
    port: target.port,
    password: target.password,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    connectTimeout: timeout,
    commandTimeout: timeout,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  // Without a listener ioredis prints every connection error to stderr.
  client.on('error', (err: unknown) => {
    lastError = err;
  });
  const where = `${target.host}:${target.port}`;
  try {
    try {
      await client.connect();
      // With the ready check off, a refused AUTH only shows on the first command.
      await client.ping();
    } catch (err) {
      const cause = lastError ?? err;
      if (isAuthError(cause) || isAuthError(err)) {
        throw stalled(codes.dbAuth, `Redis at ${where} refused the password`, {
          hint: 'check the database credentials the runtime generated (they must match requirepass)',
          cause,
        });
      }
      throw transient(codes.dbUnreachable, `cannot reach Redis at ${where}: ${message(cause)}`, {
        hint: 'check that the member runs and listens on that address',
        cause,
      });
    }
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/**
 * True when the Redis server at `target` takes the password and answers PING: false while it
 * loads its data (-LOADING), refuses the password or does not answer. Never throws.
 */
export function redisReady(target: RedisTarget): Promise<boolean> {
  return withRedis(target, () => Promise.resolve(true)).catch(() => false);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
