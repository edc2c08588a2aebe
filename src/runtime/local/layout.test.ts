import { describe, expect, it } from 'vitest';
import { DbopsError } from '../../errors.js';
import { Layout } from './layout.js';

describe('Layout', () => {
  const layout = new Layout('/state');

  it('places everything under <stateDir>/runtime', () => {
    expect(layout.dbDir('cache')).toBe('/state/runtime/cache');
    expect(layout.credentialsFile('cache')).toBe('/state/runtime/cache/credentials.json');
    expect(layout.memberFile('cache', 'cache-0')).toBe(
      '/state/runtime/cache/members/cache-0/member.json',
    );
    expect(layout.dataDir('cache', 'cache-0')).toBe('/state/runtime/cache/members/cache-0/data');
    expect(layout.configFile('Redis', 'c', 'c-0')).toBe('/state/runtime/c/members/c-0/redis.conf');
    expect(layout.configFile('Postgres', 'p', 'p-0')).toBe(
      '/state/runtime/p/members/p-0/data/dbops.conf',
    );
  });

  it('uses the Redis config path and the Postgres data dir as the process marker', () => {
    expect(layout.processMarker('Redis', 'c', 'c-0')).toBe(layout.configFile('Redis', 'c', 'c-0'));
    expect(layout.processMarker('Postgres', 'p', 'p-0')).toBe(layout.dataDir('p', 'p-0'));
  });

  for (const [db, member] of [
    ['..', 'x'],
    ['../etc', 'x'],
    ['', 'x'],
    ['/etc', 'x'],
    ['ok', '../../../etc'],
    ['ok', '/abs'],
  ] as const) {
    it(`refuses ${JSON.stringify([db, member])}`, () => {
      expect(() => layout.memberDir(db, member)).toThrow(DbopsError);
    });
  }
});
