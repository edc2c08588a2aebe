import type { DatabaseKind } from './desired.js';

/** The role a member is planned to have when first created; the database may change it later. */
export type PlannedRole = 'master' | 'replica' | 'primary' | 'standby';

/** One member of a database as the plan wants it (see plan/topology.ts for the naming). */
export interface MemberPlan {
  /** Stable name, e.g. `cache-shard0-0`, `session-0`, `pg-1`. */
  name: string;
  database: string;
  kind: DatabaseKind;
  shard: number;
  ordinal: number;
  role: PlannedRole;
}
