import type { DatabaseSpec } from '../api/desired.js';

/** The server programs dbops runs. */
export type ServerKind = 'redis' | 'valkey' | 'postgres';

/**
 * The server kind and version a spec asks for: a Redis `valkey-8.1.1` is Valkey 8.1.1 (never
 * a redis-server in its place), any other Redis version redis-server. Pure.
 */
export function serverWanted(spec: Pick<DatabaseSpec, 'kind' | 'version'>): {
  kind: ServerKind;
  version: string;
} {
  if (spec.kind === 'Postgres') return { kind: 'postgres', version: spec.version };
  const valkey = /^valkey-(.+)$/i.exec(spec.version);
  return valkey
    ? { kind: 'valkey', version: valkey[1]! }
    : { kind: 'redis', version: spec.version };
}
