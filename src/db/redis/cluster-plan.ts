import { isFailedOrNoAddr } from './cluster-nodes.js';
import {
  announced,
  knowsAt,
  meeting,
  roleOf,
  self,
  slotOwners,
  type ClusterMember,
  type MemberView,
} from './cluster-view.js';
import { planShard } from './shard-plan.js';
import { formatRanges, splitSlots } from './slots.js';

/** One step the executor runs on one member (`on` is a member name). */
export type ClusterAction =
  | { type: 'set-epoch'; on: string; epoch: number }
  | { type: 'add-slots'; on: string; ranges: (readonly [number, number])[] }
  | { type: 'meet'; on: string; target: string; host: string; port: number }
  | { type: 'replicate'; on: string; master: string; masterId: string }
  | { type: 'forget'; on: string; nodeId: string };

/** What to do next, and why the cluster is not done yet. */
export interface ClusterPlan {
  actions: ClusterAction[];
  /** Conditions that resolve by themselves or after the actions (gossip, sync, election). */
  waiting: string[];
  /** Conditions dbops will not fix by itself (they need a human). */
  problems: string[];
  /** Shard number -> name of the member that is (or will be) its master. */
  masters: Map<number, string>;
  /** No member has a slot and every member knows only itself. */
  fresh: boolean;
  /** Nothing to do, nothing to wait for: every member reachable and the cluster ok. */
  converged: boolean;
}

/**
 * Decides the next actions from what the reachable members report: meet unknown or moved
 * members, assign unassigned slots of each shard to its master, make the other members of a
 * shard its replicas, forget failed ids that are no member. Never moves assigned slots. Pure.
 */
export function planCluster(
  members: readonly ClusterMember[],
  views: readonly MemberView[],
): ClusterPlan {
  const byName = new Map(views.map((v) => [v.member.name, v]));
  const waiting = members.filter((m) => !byName.has(m.name)).map((m) => `${m.name} is unreachable`);
  const problems: string[] = [];
  const actions: ClusterAction[] = [];
  const owners = slotOwners(views);
  const fresh = owners.every((o) => o === undefined) && views.every((v) => v.nodes.length <= 1);
  const shardCount = Math.max(0, ...members.map((m) => m.shard + 1));
  const ranges = splitSlots(Math.max(1, shardCount));
  const masters = new Map<number, string>();
  const meets = planMeets(views);
  for (let shard = 0; shard < shardCount; shard++) {
    const range = ranges[shard];
    if (!range) continue;
    const sp = planShard({
      shard,
      range,
      members: members.filter((m) => m.shard === shard),
      views,
      owners,
      fresh,
    });
    if (sp.master) masters.set(shard, sp.master);
    actions.push(...sp.slotActions);
    waiting.push(...sp.waiting);
    problems.push(...sp.problems);
    if (meets.length === 0) actions.push(...sp.replicaActions);
  }
  actions.push(...meets);
  const everyone = views.length === members.length;
  if (everyone) actions.push(...planForgets(views, owners));
  if (everyone) waiting.push(...unknownLiveNodes(views));
  for (const v of views) {
    if (v.clusterState !== 'ok')
      waiting.push(`${v.member.name} reports cluster_state:${v.clusterState}`);
  }
  if (!allKnowEachOther(views)) waiting.push('members do not all know each other yet');
  else waiting.push(...disagreements(views));
  const converged = actions.length === 0 && waiting.length === 0 && problems.length === 0;
  return {
    actions: order(actions),
    waiting: dedupe(waiting),
    problems: dedupe(problems),
    masters,
    fresh,
    converged,
  };
}

/** True when every reachable member knows every other at its current address. Pure. */
export function allKnowEachOther(views: readonly MemberView[]): boolean {
  return views.every((a) =>
    views.every((b) => a.id === b.id || knowsAt(a, b.id, announced(b.member))),
  );
}

/**
 * Where one member's picture of another (role, master, slots) differs from what that other
 * says of itself: gossip has not spread the change yet. Pure.
 */
export function disagreements(views: readonly MemberView[]): string[] {
  const out: string[] = [];
  for (const w of views) {
    const truth = self(w);
    if (!truth) continue;
    const slots = formatRanges(truth.slots);
    for (const v of views) {
      const seen = v.nodes.find((n) => n.id === w.id);
      if (v === w || !seen) continue;
      const sameRole = seen.flags.includes('slave') === truth.flags.includes('slave');
      if (!sameRole || seen.masterId !== truth.masterId || formatRanges(seen.slots) !== slots) {
        out.push(`${v.member.name} does not see ${w.member.name}'s role and slots as they are yet`);
      }
    }
  }
  return out;
}

/**
 * MEETs for every (node, member) pair where the node does not know the member at its current
 * address. The best-informed node introduces first, alone, and gossip tells the others; only
 * when it knows everyone do lagging nodes meet directly. A pending handshake is not repeated.
 */
function planMeets(views: readonly MemberView[]): ClusterAction[] {
  const missing = (a: MemberView) =>
    views.filter(
      (b) =>
        b.id !== a.id && !knowsAt(a, b.id, announced(b.member)) && !meeting(a, announced(b.member)),
    );
  const known = (a: MemberView) =>
    views.filter((b) => knowsAt(a, b.id, announced(b.member))).length;
  let introducer: MemberView | undefined;
  for (const v of views) if (!introducer || known(v) > known(introducer)) introducer = v;
  const toMeet = (a: MemberView): ClusterAction[] =>
    missing(a).map((b) => ({
      type: 'meet',
      on: a.member.name,
      target: b.member.name,
      ...announced(b.member),
    }));
  const first = introducer ? toMeet(introducer) : [];
  if (first.length > 0) return first;
  return views.flatMap(toMeet);
}

/**
 * FORGETs for ids in `fail`/`noaddr` state that no member has and that own no slot, on every
 * member that still lists them (all at once, before gossip brings them back). Only planned
 * when every member is reachable, so a live member's id is never forgotten.
 */
function planForgets(
  views: readonly MemberView[],
  owners: readonly (string | undefined)[],
): ClusterAction[] {
  const memberIds = new Set(views.map((v) => v.id));
  const owning = new Set(owners.filter((o): o is string => o !== undefined));
  const out: ClusterAction[] = [];
  for (const v of views) {
    const myMaster = self(v)?.masterId;
    for (const n of v.nodes) {
      if (memberIds.has(n.id) || owning.has(n.id) || n.slots.length > 0) continue;
      if (!isFailedOrNoAddr(n) || n.flags.includes('handshake') || n.id === myMaster) continue;
      out.push({ type: 'forget', on: v.member.name, nodeId: n.id });
    }
  }
  return out;
}

/** Live nodes in the cluster that are no member: someone met a stranger. */
function unknownLiveNodes(views: readonly MemberView[]): string[] {
  const memberIds = new Set(views.map((v) => v.id));
  const out: string[] = [];
  for (const v of views) {
    for (const n of v.nodes) {
      if (memberIds.has(n.id) || isFailedOrNoAddr(n) || n.flags.includes('handshake')) continue;
      if (n.flags.includes('fail?')) continue;
      out.push(
        `node ${n.id} at ${n.host}:${n.port} is in the cluster but is no member (forgotten once it fails)`,
      );
    }
  }
  return out;
}

const rank: Record<ClusterAction['type'], number> = {
  'set-epoch': 0,
  'add-slots': 1,
  meet: 2,
  replicate: 3,
  forget: 4,
};

function order(actions: ClusterAction[]): ClusterAction[] {
  return [...actions].sort((a, b) => rank[a.type] - rank[b.type]);
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Member name -> role each reachable member reports; unreachable members are `unknown`. */
export function rolesOf(
  members: readonly ClusterMember[],
  views: readonly MemberView[],
): Record<string, 'master' | 'replica' | 'unknown'> {
  const out: Record<string, 'master' | 'replica' | 'unknown'> = {};
  for (const m of members) {
    const v = views.find((x) => x.member.name === m.name);
    out[m.name] = v ? roleOf(v) : 'unknown';
  }
  return out;
}
