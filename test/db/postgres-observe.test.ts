import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { observePostgres } from '../../src/db/postgres/observe.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres-server.js';

describe('observePostgres on a real Postgres 15', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.cleanup();
  });

  it('reports a primary, its version, a non-zero size and no standbys', async () => {
    const o = await observePostgres({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
    });
    expect(o.role).toBe('primary');
    expect(o.version).toMatch(/^15\.\d+/);
    expect(o.databaseSizeBytes).toBeGreaterThan(1_000_000);
    expect(o.replication).toEqual([]);
  });

  it('fails with DbopsError dbAuth on a wrong password, without the password', async () => {
    const wrong = `${pg.password}-nope`;
    const err: unknown = await observePostgres({
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: wrong,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.dbAuth);
    expect((err as DbopsError).message).not.toContain(wrong);
  });

  it('fails with DbopsError dbUnreachable when nothing listens', async () => {
    const err: unknown = await observePostgres({
      host: '127.0.0.1',
      port: 1,
      user: 'postgres',
      password: 'x',
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect((err as DbopsError).code).toBe(codes.dbUnreachable);
  });
});
