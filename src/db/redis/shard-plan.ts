import type { ClusterAction } from './cluster-plan.js';
import { isSettled } from './cluster-nodes.js';
import {
  announced,
  knowsAt,
  roleOf,
  self,
  type ClusterMember,
  type MemberView,
} from './cluster-view.js';
import { formatRanges, toRanges, type SlotRange } from './slots.js';

/** Inputs for one shard's decisions. */
export interface ShardInput {
  shard: number;
  range: SlotRange;
  members: readonly ClusterMember[];
  views: readonly MemberView[];
  owners: readonly (string | undefined)[];
  fresh: boolean;
}

/** One shard's decisions: its master, slot assignments, replica fixes. */
export interface ShardPlan {
  master?: string;
  slotActions: ClusterAction[];
  replicaActions: ClusterAction[];
  waiting: string[];
  problems: string[];
}

/**
 * The id of a member: its own `CLUSTER MYID` when reachable, else the id the others list at
 * its address (so an unreachable master is still recognised as its shard's owner).
 */
export function idOf(m: ClusterMember, views: readonly MemberView[]): string | undefined {
  const own = views.find((v) => v.member.name === m.name);
  if (own) return own.id;
  const at = announced(m);
  for (const v of views) {
    const n = v.nodes.find((x) => x.host === at.host && x.port === at.port && isSettled(x));
    if (n) return n.id;
  }
  return undefined;
}

/**
 * Decides one shard: its master is the member that owns the shard's slots (ordinal 1 after a
 * failover), else its lowest-ordinal master. Unassigned slots of the range go to that master;
 * every other member must replicate it. Assigned slots are never moved. Pure.
 */
export function planShard(input: ShardInput): ShardPlan {
  const { shard, range, members, views, owners } = input;
  const out: ShardPlan = { slotActions: [], replicaActions: [], waiting: [], problems: [] };
  const ids = new Map(members.map((m) => [m, idOf(m, views)] as const));
  const nameOfId = new Map(
    [...ids].filter(([, id]) => id).map(([m, id]) => [id as string, m.name]),
  );
  const count = new Map<string, number>();
  const unassigned: number[] = [];
  for (let s = range[0]; s <= range[1]; s++) {
    const o = owners[s];
    if (o === undefined) unassigned.push(s);
    else count.set(o, (count.get(o) ?? 0) + 1);
  }
  for (const [id, n] of count) {
    if (nameOfId.has(id)) continue;
    const other = views.find((v) => v.id === id);
    out.problems.push(
      `${n} slots of shard ${shard} (${formatRanges([range])}) belong to ${other ? other.member.name : `node ${id}`}, ` +
        `outside the shard: dbops never moves slots; move them with redis-cli --cluster reshard or fix`,
    );
  }
  const owning = [...count].filter(([id]) => nameOfId.has(id)).sort((a, b) => b[1] - a[1]);
  if (owning.length > 1) {
    out.problems.push(
      `shard ${shard} is split: ${owning.map(([id]) => nameOfId.get(id)).join(' and ')} both own its slots`,
    );
  }
  const view = (m: ClusterMember) => views.find((v) => v.member.name === m.name);
  const sorted = [...members].sort((a, b) => a.ordinal - b.ordinal);
  const ownerId = owning[0]?.[0];
  const master =
    (ownerId !== undefined ? sorted.find((m) => ids.get(m) === ownerId) : undefined) ??
    sorted.find((m) => {
      const v = view(m);
      return v !== undefined && roleOf(v) === 'master';
    }) ??
    sorted[0];
  if (!master) return out;
  out.master = master.name;
  const masterId = ids.get(master);
  const mv = view(master);
  if (unassigned.length > 0) {
    if (!mv) out.waiting.push(`${master.name} (master of shard ${shard}) is unreachable`);
    else if (roleOf(mv) !== 'master')
      out.problems.push(`${master.name} should own shard ${shard}'s slots but is a replica`);
    else {
      if (input.fresh && (self(mv)?.configEpoch ?? 0) === 0) {
        out.slotActions.push({ type: 'set-epoch', on: master.name, epoch: shard + 1 });
      }
      out.slotActions.push({ type: 'add-slots', on: master.name, ranges: toRanges(unassigned) });
    }
  }
  const masterAt = announced(master);
  for (const m of sorted) {
    if (m === master) continue;
    const v = view(m);
    if (!v) continue;
    const me = self(v);
    const slots = me?.slots.length ?? 0;
    if (!masterId) out.waiting.push(`${m.name} waits for ${master.name}'s node id`);
    else if (roleOf(v) === 'replica' && me?.masterId === masterId) {
      const from = v.replicatesFrom;
      const moved =
        from !== undefined && (from.host !== masterAt.host || from.port !== masterAt.port);
      // Redis does not repoint replication when it learns a master's new address by gossip.
      if (moved && v.masterLinkUp !== true && knowsAt(v, masterId, masterAt)) {
        out.replicaActions.push({ type: 'replicate', on: m.name, master: master.name, masterId });
      } else if (v.masterLinkUp !== true) {
        out.waiting.push(`${m.name}: replication link to ${master.name} is not up yet`);
      }
    } else if (roleOf(v) === 'master' && slots > 0) {
      if (owning.length <= 1)
        out.waiting.push(
          `${m.name} still claims slots that ${master.name} owns: waiting for Redis to demote it`,
        );
    } else if (roleOf(v) === 'master' && v.keys > 0) {
      out.problems.push(
        `${m.name} is a master without slots holding ${v.keys} keys: dbops will not discard them; empty it (FLUSHALL) to let it replicate ${master.name}`,
      );
    } else if (!knowsAt(v, masterId, masterAt)) {
      out.waiting.push(`${m.name} does not know ${master.name} yet`);
    } else {
      out.replicaActions.push({ type: 'replicate', on: m.name, master: master.name, masterId });
    }
  }
  return out;
}
