/**
 * The safe order in which a rolling operation touches members (DESIGN §5): replicas first;
 * before a Redis Cluster master is touched its replica takes over (CLUSTER FAILOVER), so
 * clients see no failed writes; Postgres standbys first, then the primary. Pure.
 */

/** A member as the planner sees it: its shard and its actual role. */
export interface RollingMember {
  name: string;
  shard: number;
  /** master, replica, primary or standby (anything else counts as a follower). */
  role: string;
}

/** One step of a rolling plan. `cycle` = whatever the operation does to one member. */
export type RollingAction =
  { kind: 'cycle'; member: string } | { kind: 'failover'; shard: number; from: string; to: string };

/** A stable step name for an action: the engine persists progress by these names. */
export function actionName(a: RollingAction): string {
  return a.kind === 'cycle' ? `${a.kind}:${a.member}` : `failover:shard${a.shard}:${a.to}`;
}

/**
 * Orders the members of a database for a rolling operation. With `failover`, a Redis master
 * that has a replica hands over to it first (the old master is then cycled as a replica).
 */
export function rollingPlan(
  members: readonly RollingMember[],
  opts: { failover: boolean },
): RollingAction[] {
  const shards = [...new Set(members.map((m) => m.shard))].sort((a, b) => a - b);
  const isLeader = (m: RollingMember) => m.role === 'master' || m.role === 'primary';
  const out: RollingAction[] = [];
  // Every follower first, shard by shard, so leaders keep serving while followers cycle.
  for (const shard of shards) {
    for (const m of members.filter((x) => x.shard === shard && !isLeader(x))) {
      out.push({ kind: 'cycle', member: m.name });
    }
  }
  for (const shard of shards) {
    const inShard = members.filter((x) => x.shard === shard);
    for (const leader of inShard.filter(isLeader)) {
      const heir = inShard.find((x) => !isLeader(x));
      if (opts.failover && leader.role === 'master' && heir) {
        out.push({ kind: 'failover', shard, from: leader.name, to: heir.name });
      }
      out.push({ kind: 'cycle', member: leader.name });
    }
  }
  return out;
}

/**
 * The member order of an operation of `type` on a database of `kind`: an Online volume
 * expansion grows volumes under running servers (followers first, no failover); everything
 * else cycles members, and a Redis master hands over to its replica before it is cycled.
 * The members come from the topology (a plan before the fact) or from the servers' actual
 * roles (the controller, at the operation's start).
 */
export function memberOrder(
  kind: 'Redis' | 'Postgres',
  type: string,
  mode: 'Online' | 'Offline' | undefined,
  members: readonly RollingMember[],
): RollingAction[] {
  const online = type === 'VolumeExpansion' && mode !== 'Offline';
  return rollingPlan(members, { failover: !online && kind === 'Redis' });
}
