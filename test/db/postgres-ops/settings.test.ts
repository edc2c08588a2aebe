import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../../src/errors.js';
import { systemClock } from '../../../src/platform/clock.js';
import { readPostgresSettings, reloadPostgres } from '../../../src/db/postgres/settings.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres-server.js';
import { includeDbopsConf, type DbopsConf } from './conf-file.js';

describe('Postgres settings and reload on a real Postgres 15', () => {
  let server: TestPostgres;
  let conf: DbopsConf;
  const target = () => ({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
  });
  const show = async (key: string) =>
    (await readPostgresSettings({ ...target(), keys: [key] }))[key];
  const reload = () => reloadPostgres({ ...target(), clock: systemClock });

  beforeAll(async () => {
    server = await startPostgres();
    conf = await includeDbopsConf(server);
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it('reads live settings in the form SHOW prints', async () => {
    const got = await readPostgresSettings({
      ...target(),
      keys: ['shared_buffers', 'max_connections', 'listen_addresses'],
    });
    expect(got).toEqual({
      shared_buffers: '128MB',
      max_connections: '100',
      listen_addresses: '127.0.0.1',
    });
  });

  it('reads base units with raw, as postgres -C prints them, and still names unknown keys', async () => {
    const got = await readPostgresSettings({
      ...target(),
      keys: ['shared_buffers', 'work_mem'],
      raw: true,
    });
    expect(got).toEqual({ shared_buffers: '16384', work_mem: '4096' });
    await expect(
      readPostgresSettings({ ...target(), keys: ['no_such_thing'], raw: true }),
    ).rejects.toThrow(/no_such_thing/);
  });

  it('names every unknown key in a DbopsError', async () => {
    const err: unknown = await readPostgresSettings({
      ...target(),
      keys: ['work_mem', 'no_such_setting', 'app.nope'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbopsError);
    expect((err as DbopsError).code).toBe(codes.unknownSetting);
    expect((err as DbopsError).message).toContain('"no_such_setting", "app.nope"');
    expect((err as DbopsError).message).not.toContain('work_mem');
  });

  it('applies a sighup-context setting live, with nothing pending', async () => {
    await conf.write("checkpoint_timeout = '7min'\n");
    expect(await reload()).toEqual({ pendingRestart: [], fileErrors: [] });
    expect(await show('checkpoint_timeout')).toBe('7min');
  });

  it('reports a postmaster-context change as pending a restart, and clears it on revert', async () => {
    await conf.write("checkpoint_timeout = '7min'\nshared_buffers = '64MB'\n");
    expect(await reload()).toEqual({ pendingRestart: ['shared_buffers'], fileErrors: [] });
    expect(await show('shared_buffers')).toBe('128MB');
    await conf.write("checkpoint_timeout = '7min'\n");
    expect(await reload()).toEqual({ pendingRestart: [], fileErrors: [] });
  });

  it('names a bad value in fileErrors and keeps the old value live', async () => {
    await conf.write("checkpoint_timeout = '6min'\n");
    await reload();
    await conf.write("checkpoint_timeout = 'banana'\nautovacuum_naptime = '2min'\n");
    const report = await reload();
    expect(report.pendingRestart).toEqual([]);
    expect(report.fileErrors).toEqual([
      `${conf.path}:1: checkpoint_timeout: setting could not be applied`,
    ]);
    expect(report.fileErrors.join()).not.toContain('banana');
    expect(await show('checkpoint_timeout')).toBe('6min');
    // The other entries of the file still apply: Postgres refuses per entry.
    expect(await show('autovacuum_naptime')).toBe('2min');
  });

  it('returns at once when a syntax error makes the server ignore the whole file', async () => {
    await conf.write("checkpoint_timeout = '6min'\n");
    await reload();
    await conf.write("checkpoint_timeout = '9min'\nautovacuum_naptime = = 3\n");
    const report = await reloadPostgres({ ...target(), clock: systemClock, timeoutMs: 3000 });
    expect(report.fileErrors).toEqual([`${conf.path}:2: syntax error`]);
    expect(await show('checkpoint_timeout')).toBe('6min');
  });

  it('reloads twice in a row with the same outcome', async () => {
    await conf.write("checkpoint_timeout = '8min'\n");
    const first = await reload();
    const second = await reload();
    expect(first).toEqual({ pendingRestart: [], fileErrors: [] });
    expect(second).toEqual(first);
    expect(await show('checkpoint_timeout')).toBe('8min');
  });

  it('fails with dbAuth on a wrong password and dbUnreachable when nothing listens', async () => {
    const wrong = `${server.password}-nope`;
    const auth: unknown = await reloadPostgres({
      ...target(),
      password: wrong,
      clock: systemClock,
    }).catch((e: unknown) => e);
    expect((auth as DbopsError).code).toBe(codes.dbAuth);
    expect((auth as DbopsError).message).not.toContain(wrong);
    const down: unknown = await readPostgresSettings({
      ...target(),
      port: 1,
      keys: ['work_mem'],
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect((down as DbopsError).code).toBe(codes.dbUnreachable);
  });

  it('returns {} for no keys without connecting', async () => {
    expect(await readPostgresSettings({ ...target(), port: 1, keys: [] })).toEqual({});
  });
});
