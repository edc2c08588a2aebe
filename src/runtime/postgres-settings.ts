import type { PostgresSpec } from '../api/desired.js';
import type { PostgresConfigInput } from '../db/postgres/config-file.js';
import { topology } from '../plan/topology.js';

/** The settings of a Postgres' configuration that come from its spec. */
export type SpecSettingsInput = Pick<
  PostgresConfigInput,
  'config' | 'synchronous' | 'warmStandbys'
>;

/**
 * What a Postgres' spec puts in its configuration, for both runtimes: the user's settings,
 * synchronous replication (with the database's member names) and the standby mode. Pure.
 */
export function specSettingsInput(spec: PostgresSpec): SpecSettingsInput {
  return {
    config: spec.config,
    ...(spec.synchronous
      ? {
          synchronous: {
            replication: spec.synchronous,
            members: topology(spec).map((m) => m.name),
          },
        }
      : {}),
    ...(spec.warmStandbys ? { warmStandbys: true } : {}),
  };
}
