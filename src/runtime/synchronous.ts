import type { PostgresSpec } from '../api/desired.js';
import type { PostgresConfigInput } from '../db/postgres/config-file.js';
import { topology } from '../plan/topology.js';

/**
 * The synchronous-replication input of a Postgres' configuration, for both runtimes: the
 * spec's settings and the database's member names. Undefined for asynchronous streaming.
 */
export function synchronousInput(spec: PostgresSpec): PostgresConfigInput['synchronous'] {
  if (!spec.synchronous) return undefined;
  return { replication: spec.synchronous, members: topology(spec).map((m) => m.name) };
}
