import { describe, expect, it } from 'vitest';
import type { ManifestKind } from '../api/schemas/kinds.js';
import { kinds } from '../api/schemas/kinds.js';
import { autoscalerDoc, opsDoc, postgresDoc, redisDoc } from './fixtures.js';
import { familyOf, kindRegistry } from './kind-registry.js';
import type { KindFamily } from './kind-registry.js';

const cases: [ManifestKind, KindFamily, 'Redis' | 'Postgres', Record<string, unknown>][] = [
  ['Redis', 'database', 'Redis', redisDoc('db')],
  ['Postgres', 'database', 'Postgres', postgresDoc('db')],
  ['RedisOpsRequest', 'ops', 'Redis', opsDoc('RedisOpsRequest', 'op', 'db', 'Restart')],
  ['PostgresOpsRequest', 'ops', 'Postgres', opsDoc('PostgresOpsRequest', 'op', 'db', 'Restart')],
  [
    'RedisAutoscaler',
    'autoscaler',
    'Redis',
    autoscalerDoc('RedisAutoscaler', 'a', 'db', 'cluster'),
  ],
  [
    'PostgresAutoscaler',
    'autoscaler',
    'Postgres',
    autoscalerDoc('PostgresAutoscaler', 'a', 'db', 'postgres'),
  ],
];

describe('kindRegistry', () => {
  it('describes exactly the kinds that have schemas', () => {
    expect(Object.keys(kindRegistry).sort()).toEqual(Object.keys(kinds).sort());
    expect(cases.map(([kind]) => kind).sort()).toEqual(Object.keys(kinds).sort());
  });

  it.each(cases)('%s: family %s, database kind %s', (kind, family, databaseKind, doc) => {
    const info = kindRegistry[kind];
    expect([info.family, familyOf(kind), info.databaseKind]).toEqual([
      family,
      family,
      databaseKind,
    ]);
    // A database concerns itself; the other kinds, the database their databaseRef names.
    expect(info.databaseOf(doc)).toBe('db');
    expect(info.databaseOf({ metadata: { name: 'Not A Name' }, spec: { databaseRef: {} } })).toBe(
      undefined,
    );
    const schema = Object.values(kinds[kind])[0];
    const r = info.normalise(schema?.parse(doc));
    expect(r.problems).toEqual([]);
    expect(r.value.type).toBe(family);
  });

  it('has no family for a document of no known kind', () => {
    expect(familyOf(undefined)).toBe(undefined);
  });
});
