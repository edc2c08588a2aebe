import pg from 'pg';
import { DbopsError, codes, stalled, transient } from '../../errors.js';
import { warmStandbyDetail } from './ready.js';

/** Where and how to reach one Postgres server. */
export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  timeoutMs?: number;
}

/**
 * Runs `fn` with a short-lived client and always closes it. Maps a refused login to DbopsError
 * `dbAuth` (stalled), a warm standby's refusal of every connection to `dbWarmStandby` and any
 * other failure to `dbUnreachable` ("cannot <what> Postgres at host:port: ..."); DbopsErrors
 * thrown by `fn` pass through. The password never appears.
 */
export async function withClient<T>(
  input: Target,
  what: string,
  fn: (c: pg.Client) => Promise<T>,
  defaultTimeoutMs = 10_000,
): Promise<T> {
  const timeout = input.timeoutMs ?? defaultTimeoutMs;
  const client = new pg.Client({
    host: input.host,
    port: input.port,
    user: input.user,
    password: input.password,
    database: 'postgres',
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    application_name: 'dbops',
  });
  // A server that goes away after connect emits 'error' on the client; the query fails too.
  client.on('error', () => undefined);
  const where = `${input.host}:${input.port}`;
  try {
    await client.connect();
    return await fn(client);
  } catch (err) {
    if (err instanceof DbopsError) throw err;
    const code = (err as { code?: string }).code;
    if (code === '28P01' || code === '28000') {
      throw stalled(codes.dbAuth, `Postgres at ${where} refused the login of ${input.user}`, {
        hint: 'check the database credentials the runtime generated',
        cause: err,
      });
    }
    if (code === '57P03' && (err as { detail?: string }).detail === warmStandbyDetail) {
      throw stalled(
        codes.dbWarmStandby,
        `cannot ${what} Postgres at ${where}: it is a warm standby (standbyMode: Warm), which takes no connections`,
        { hint: 'ask the primary instead, or use standbyMode Hot for standbys that serve reads' },
      );
    }
    const why = err instanceof Error ? err.message : String(err);
    throw transient(codes.dbUnreachable, `cannot ${what} Postgres at ${where}: ${why}`, {
      hint: 'check that the server runs and listens on that address',
      cause: err,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}
