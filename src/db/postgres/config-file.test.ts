import { describe, expect, it } from 'vitest';
import { DbopsError } from '../../errors.js';
import {
  quotePgValue,
  renderPgHba,
  renderPgSetting,
  renderPgpass,
  renderPostgresConf,
  settingLines,
  synchronousSettings,
} from './config-file.js';
import type { SynchronousReplication } from '../../api/desired.js';

describe('synchronousSettings', () => {
  const members = ['pg-0', 'pg-1', 'pg-2'];
  const sync = (over: Partial<SynchronousReplication>): SynchronousReplication => ({
    method: 'Any',
    count: 1,
    commitLevel: 'RemoteWrite',
    ...over,
  });
  it.each([
    [
      'the defaults: any one of every member',
      sync({}),
      'ANY 1 ("pg-0", "pg-1", "pg-2")',
      'remote_write',
    ],
    [
      'a quorum of two',
      sync({ count: 2, commitLevel: 'On' }),
      'ANY 2 ("pg-0", "pg-1", "pg-2")',
      'on',
    ],
    [
      'priority order as listed',
      sync({ method: 'First', standbyNames: ['pg-2', 'pg-1'], commitLevel: 'RemoteApply' }),
      'FIRST 1 ("pg-2", "pg-1")',
      'remote_apply',
    ],
    ['any standby at all', sync({ standbyNames: '*', commitLevel: 'Local' }), 'ANY 1 (*)', 'local'],
    ['no flush guarantee', sync({ commitLevel: 'Off' }), 'ANY 1 ("pg-0", "pg-1", "pg-2")', 'off'],
  ])('%s', (_, replication, names, commit) => {
    expect(synchronousSettings(replication, members)).toEqual({
      synchronous_standby_names: names,
      synchronous_commit: commit,
    });
  });

  it('puts them before the user settings, quoted', () => {
    expect(
      settingLines({
        config: { work_mem: '8MB' },
        synchronous: { replication: sync({}), members: ['a-0', 'a-1'] },
      }),
    ).toEqual([
      'hot_standby = on',
      `synchronous_standby_names = 'ANY 1 ("a-0", "a-1")'`,
      "synchronous_commit = 'remote_write'",
      "work_mem = '8MB'",
    ]);
  });

  it.each(['synchronous_commit', 'SYNCHRONOUS_STANDBY_NAMES'])(
    'refuses %s from the configuration (a Secret can carry it) beside synchronous replication',
    (key) => {
      expect(() =>
        settingLines({
          config: { [key]: 'x' },
          synchronous: { replication: sync({}), members: ['a-0', 'a-1'] },
        }),
      ).toThrow(/is set by streamingMode: Synchronous/);
    },
  );

  it('leaves synchronous_commit to the user without synchronous replication', () => {
    expect(settingLines({ config: { synchronous_commit: 'off' } })).toEqual([
      'hot_standby = on',
      "synchronous_commit = 'off'",
    ]);
  });
});

describe('standbyMode', () => {
  it.each([
    [undefined, 'hot_standby = on'],
    [false, 'hot_standby = on'],
    [true, 'hot_standby = off'],
  ])('warmStandbys %s renders %s on every member', (warmStandbys, line) => {
    const input = { config: {}, ...(warmStandbys === undefined ? {} : { warmStandbys }) };
    expect(settingLines(input)[0]).toBe(line);
  });

  it.each(['hot_standby', 'HOT_STANDBY'])(
    'refuses %s from the configuration (a Secret can carry it), sync or not',
    (key) => {
      expect(() => settingLines({ config: { [key]: 'on' } })).toThrow(/is set by spec.standbyMode/);
    },
  );
});

describe('renderPostgresConf', () => {
  it('renders a primary', () => {
    const lines = renderPostgresConf({ host: '127.0.0.1', port: 15432, config: {} }).split('\n');
    for (const l of [
      'port = 15432',
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'wal_level = replica',
      'max_wal_senders = 10',
      'hot_standby = on',
      'password_encryption = scram-sha-256',
    ]) {
      expect(lines).toContain(l);
    }
    expect(lines.some((l) => l.startsWith('primary_conninfo'))).toBe(false);
  });

  it('renders a standby with a passfile, never the password', () => {
    const text = renderPostgresConf({
      host: '127.0.0.1',
      port: 15433,
      standby: { primaryPort: 15432, passfile: "/s/pg-1/pg'pass", applicationName: 'pg-1' },
      config: {},
    });
    expect(text).toContain(
      "primary_conninfo = 'host=''127.0.0.1'' port=15432 user=postgres passfile=''/s/pg-1/pg\\\\''pass'' application_name=''pg-1'''",
    );
  });

  it('appends user settings last, quoted', () => {
    const lines = renderPostgresConf({
      host: '127.0.0.1',
      port: 1,
      config: { max_connections: '50', work_mem: "4MB'x" },
    })
      .trim()
      .split('\n');
    expect(lines.slice(-2)).toEqual(["max_connections = '50'", "work_mem = '4MB''x'"]);
  });
});

describe('renderPgSetting', () => {
  for (const key of [
    'port',
    'data_directory',
    'hba_file',
    'include',
    'bad key',
    'a\nb',
    'primary_conninfo',
    'archive_command',
    'shared_preload_libraries',
  ]) {
    it(`refuses ${JSON.stringify(key)}`, () =>
      expect(() => renderPgSetting(key, 'x')).toThrow(DbopsError));
  }
  it('accepts a custom class setting', () =>
    expect(renderPgSetting('pg_stat_statements.max', '1000')).toBe(
      "pg_stat_statements.max = '1000'",
    ));
});

describe('quoting', () => {
  const cases: [string, string][] = [
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ['a\\b', "'a\\\\b'"],
    ['a\nb', "'a\\nb'"],
  ];
  for (const [v, want] of cases) it(JSON.stringify(v), () => expect(quotePgValue(v)).toBe(want));

  it('pgpass escapes colons and backslashes', () => {
    expect(renderPgpass('127.0.0.1', 'a:b\\c')).toBe('127.0.0.1:*:*:postgres:a\\:b\\\\c\n');
  });

  it('pg_hba allows SCRAM logins and replication from the host only', () => {
    expect(renderPgHba('127.0.0.1')).toBe(
      '# Generated by dbops: edits are overwritten.\nhost all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n',
    );
  });
});
