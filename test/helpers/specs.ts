import type { PostgresSpec } from '../../src/api/desired.js';

/** A normalised Postgres spec for unit tests: 2 members, 1 GiB durable volumes, no settings. */
export const postgresSpec = (over: Partial<PostgresSpec> = {}): PostgresSpec => ({
  kind: 'Postgres',
  name: 'orders',
  version: '15',
  replicas: 2,
  storageType: 'Durable',
  storageBytes: 1024 ** 3,
  config: {},
  halted: false,
  deletionPolicy: 'Delete',
  ...over,
});
