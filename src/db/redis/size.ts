import { parseInfo } from './cluster-nodes.js';
import { withRedis, type RedisTarget } from './connection.js';

/**
 * The bytes of persistence files an `INFO persistence` answer reports, or undefined when it
 * reports none. Redis 7 reports `aof_current_size` only while AOF is on: the multi-part AOF's
 * base plus incremental files (the manifest excluded). It reports no size of the RDB file
 * (`dump.rdb`) at all, only its changes and save times, so with AOF off this is undefined. Pure.
 */
export function persistenceBytes(info: Record<string, string>): number | undefined {
  if (info.aof_enabled !== '1') return undefined;
  const raw = info.aof_current_size;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Reads `INFO persistence` of one Redis server with a short-lived plain client and returns
 * what it reports of its persistence files (see `persistenceBytes`): a signal, not the
 * filesystem's usage. Throws DbopsError `dbUnreachable` or `dbAuth` like `observeRedis`.
 */
export function redisDataBytes(target: RedisTarget): Promise<number | undefined> {
  return withRedis(target, async (r) => persistenceBytes(parseInfo(await r.info('persistence'))));
}
