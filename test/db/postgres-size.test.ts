import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { observePostgres } from '../../src/db/postgres/observe.js';
import { postgresDataBytes } from '../../src/db/postgres/size.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';

const MB = 1_000_000;

describe('postgresDataBytes on a real Postgres 15', () => {
  let server: TestPostgres;
  const at = () => ({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it('reports the databases plus the WAL directory, and grows after ~5 MB of rows', async () => {
    const before = await postgresDataBytes(at());
    const { databaseSizeBytes } = await observePostgres(at());
    // At least one 16 MiB WAL segment on top of the databases.
    expect(before! - databaseSizeBytes!).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    const c = new pg.Client({ ...at(), database: 'postgres' });
    await c.connect();
    try {
      await c.query('CREATE TABLE fill (id int, pad text)');
      // repeat(md5) is incompressible enough that TOAST does not shrink it away.
      await c.query(
        `INSERT INTO fill SELECT g, string_agg(md5(g::text || ':' || r::text), '')
         FROM generate_series(1, 5000) g, generate_series(1, 32) r GROUP BY g`,
      );
      await c.query('CHECKPOINT');
    } finally {
      await c.end();
    }
    const after = await postgresDataBytes(at());
    expect(after! - before!).toBeGreaterThan(5 * MB);
  });

  it('fails with DbopsError dbAuth on a wrong password, without the password', async () => {
    const wrong = `${server.password}-nope`;
    const err: unknown = await postgresDataBytes({ ...at(), password: wrong }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.dbAuth);
    expect((err as DbopsError).message).not.toContain(wrong);
  });
});
