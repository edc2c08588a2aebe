import { isSettled, type ClusterNode } from './cluster-nodes.js';
import { SLOT_COUNT } from './slots.js';

/** One member of a Redis Cluster as the topology names it. */
export interface ClusterMember {
  name: string;
  shard: number;
  ordinal: number;
  /** Where dbops connects to it. */
  host: string;
  port: number;
  /**
   * Where the other members know it (its cluster-announce address), when that differs from
   * where dbops connects: a pod's address behind a port-forward.
   */
  announce?: Address;
}

/** The address the cluster knows `m` by: what MEETs name and CLUSTER NODES lists. */
export function announced(m: ClusterMember): Address {
  return m.announce ?? { host: m.host, port: m.port };
}

/** What one reachable member reports about itself and the cluster. */
export interface MemberView {
  member: ClusterMember;
  /** `CLUSTER MYID`. */
  id: string;
  /** `CLUSTER NODES` as this member sees it, itself included (flag `myself`). */
  nodes: ClusterNode[];
  /** `cluster_state` from `CLUSTER INFO`. */
  clusterState: string;
  /** `master_link_status:up` for a replica; undefined for a master. */
  masterLinkUp?: boolean;
  /** For a replica: where its replication connects (`master_host`/`master_port`). */
  replicatesFrom?: { host: string; port: number };
  /** Keys in db 0 (`DBSIZE`): a master with keys cannot become a replica without data loss. */
  keys: number;
}

/** The member's own line of `CLUSTER NODES`. */
export function self(view: MemberView): ClusterNode | undefined {
  return (
    view.nodes.find((n) => n.id === view.id) ?? view.nodes.find((n) => n.flags.includes('myself'))
  );
}

/** The role a member reports for itself. */
export function roleOf(view: MemberView): 'master' | 'replica' | 'unknown' {
  const me = self(view);
  if (me?.flags.includes('slave')) return 'replica';
  if (me?.flags.includes('master')) return 'master';
  return 'unknown';
}

/** Where one member listens (as dbops reaches it, or as the cluster knows it). */
export interface Address {
  host: string;
  port: number;
}

/** True when `view` knows the node `id` at `at`, handshake finished. */
export function knowsAt(view: MemberView, id: string, at: Address): boolean {
  return view.nodes.some(
    (n) => n.id === id && n.host === at.host && n.port === at.port && isSettled(n),
  );
}

/** True when `view` has a handshake in progress with `at` (a MEET already sent). */
export function meeting(view: MemberView, at: Address): boolean {
  return view.nodes.some(
    (n) => n.flags.includes('handshake') && n.host === at.host && n.port === at.port,
  );
}

/**
 * Who owns each slot (node id or undefined). A member's own line is authoritative for its
 * slots; when two members claim a slot the higher config epoch wins, as in Redis. Nodes that
 * no reachable member is (old ids, unreachable members) count as seen by the others, so a
 * slot is unassigned only when nobody sees an owner. Pure.
 */
export function slotOwners(views: readonly MemberView[]): (string | undefined)[] {
  const owner: (string | undefined)[] = new Array<string | undefined>(SLOT_COUNT);
  const epoch = new Array<number>(SLOT_COUNT).fill(-1);
  const observed = new Set(views.map((v) => v.id));
  const claim = (id: string, e: number, first: number, last: number) => {
    for (let s = first; s <= last && s < SLOT_COUNT; s++) {
      if (e > (epoch[s] ?? -1)) {
        owner[s] = id;
        epoch[s] = e;
      }
    }
  };
  for (const v of views) {
    const me = self(v);
    if (me) for (const [a, b] of me.slots) claim(v.id, me.configEpoch, a, b);
  }
  for (const v of views) {
    for (const n of v.nodes) {
      if (observed.has(n.id)) continue;
      for (const [a, b] of n.slots) claim(n.id, n.configEpoch, a, b);
    }
  }
  return owner;
}
