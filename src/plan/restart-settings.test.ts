import { describe, expect, it } from 'vitest';
import type { DatabaseKind } from '../api/desired.js';
import { postgresRestartKeys, redisRestartKeys, settingNeedsRestart } from './restart-settings.js';

const cases: { title: string; kind: DatabaseKind; key: string; want: boolean }[] = [
  { title: 'Redis databases', kind: 'Redis', key: 'databases', want: true },
  { title: 'Redis cluster-enabled', kind: 'Redis', key: 'cluster-enabled', want: true },
  { title: 'Redis io-threads', kind: 'Redis', key: 'io-threads', want: true },
  { title: 'Redis alias slaveof, like replicaof', kind: 'Redis', key: 'slaveof', want: true },
  { title: 'Redis protected dir', kind: 'Redis', key: 'dir', want: true },
  { title: 'Redis maxmemory is live', kind: 'Redis', key: 'maxmemory', want: false },
  { title: 'Redis maxmemory-policy is live', kind: 'Redis', key: 'maxmemory-policy', want: false },
  { title: 'Redis key in upper case', kind: 'Redis', key: 'DATABASES', want: true },
  { title: 'Redis live key in mixed case', kind: 'Redis', key: 'MaxMemory', want: false },
  { title: 'Redis unknown key', kind: 'Redis', key: 'no-such-setting', want: false },
  { title: 'Postgres shared_buffers', kind: 'Postgres', key: 'shared_buffers', want: true },
  { title: 'Postgres max_connections', kind: 'Postgres', key: 'max_connections', want: true },
  { title: 'Postgres wal_level', kind: 'Postgres', key: 'wal_level', want: true },
  { title: 'Postgres work_mem is live', kind: 'Postgres', key: 'work_mem', want: false },
  {
    title: 'Postgres log_min_duration_statement is live',
    kind: 'Postgres',
    key: 'log_min_duration_statement',
    want: false,
  },
  { title: 'Postgres key in mixed case', kind: 'Postgres', key: 'Shared_Buffers', want: true },
  { title: 'Postgres custom key', kind: 'Postgres', key: 'foo.bar', want: false },
  { title: 'Postgres unknown key', kind: 'Postgres', key: 'no_such_setting', want: false },
  // Each table answers for its own engine only.
  { title: 'Redis name asked of Postgres', kind: 'Postgres', key: 'databases', want: false },
  { title: 'Postgres name asked of Redis', kind: 'Redis', key: 'shared_buffers', want: false },
];

describe('settingNeedsRestart', () => {
  it.each(cases)('$title', ({ kind, key, want }) => {
    expect(settingNeedsRestart(kind, key)).toBe(want);
  });

  it.each([
    ['Redis', redisRestartKeys],
    ['Postgres', postgresRestartKeys],
  ] as const)('the %s table holds lower-case names only', (_kind, table) => {
    expect([...table].filter((k) => k !== k.toLowerCase())).toEqual([]);
  });
});
