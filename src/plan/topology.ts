import type { DatabaseSpec } from '../api/desired.js';
import type { MemberPlan } from '../api/members.js';

/**
 * The members a spec asks for, with stable names: `<db>-shard<N>-<i>` for a Redis Cluster
 * (ordinal 0 starts as the shard's master), `<db>-<i>` otherwise (ordinal 0 is the Redis
 * standalone server or the Postgres primary). Pure.
 */
export function topology(spec: DatabaseSpec): MemberPlan[] {
  const members: MemberPlan[] = [];
  if (spec.kind === 'Redis' && spec.mode === 'Cluster') {
    for (let shard = 0; shard < spec.shards; shard++) {
      for (let i = 0; i < spec.replicas; i++) {
        members.push({
          name: `${spec.name}-shard${shard}-${i}`,
          database: spec.name,
          kind: 'Redis',
          shard,
          ordinal: i,
          role: i === 0 ? 'master' : 'replica',
        });
      }
    }
    return members;
  }
  const count = spec.kind === 'Redis' ? 1 : spec.replicas;
  for (let i = 0; i < count; i++) {
    members.push({
      name: memberName(spec.name, i),
      database: spec.name,
      kind: spec.kind,
      shard: 0,
      ordinal: i,
      role: spec.kind === 'Redis' ? 'master' : i === 0 ? 'primary' : 'standby',
    });
  }
  return members;
}

/** The name of member `ordinal` of a database that is not a Redis Cluster. Pure. */
export function memberName(database: string, ordinal: number): string {
  return `${database}-${ordinal}`;
}
