import type { PostgresSpec, RedisSpec } from '../../src/api/desired.js';

const common = {
  storageType: 'Durable' as const,
  storageBytes: 1024 * 1024 * 1024,
  config: {},
  halted: false,
  deletionPolicy: 'Delete' as const,
};

/** A normalised Redis spec for runtime tests. */
export function redisSpec(name: string, over: Partial<RedisSpec> = {}): RedisSpec {
  return {
    ...common,
    kind: 'Redis',
    name,
    version: '7.0.15',
    mode: 'Standalone',
    shards: 1,
    replicas: 1,
    ...over,
  };
}

/** A normalised Postgres spec for runtime tests (system Postgres 15 by default). */
export function postgresSpec(name: string, over: Partial<PostgresSpec> = {}): PostgresSpec {
  return { ...common, kind: 'Postgres', name, version: '15', replicas: 1, ...over };
}
