import type { ClusterAction } from './cluster-plan.js';
import { parseClusterNodes, parseInfo } from './cluster-nodes.js';
import type { ClusterMember, MemberView } from './cluster-view.js';
import { withRedis } from './connection.js';
import { formatRanges } from './slots.js';

/** Reads one member's view of the cluster: id, `CLUSTER NODES`, state, link, key count. */
export function observeMember(
  member: ClusterMember,
  password: string,
  timeoutMs?: number,
): Promise<MemberView> {
  return withRedis({ host: member.host, port: member.port, password, timeoutMs }, async (r) => {
    const [id, nodes, info, repl, keys] = await Promise.all([
      r.call('CLUSTER', 'MYID'),
      r.call('CLUSTER', 'NODES'),
      r.call('CLUSTER', 'INFO'),
      r.info('replication'),
      r.dbsize(),
    ]);
    const replication = parseInfo(repl);
    return {
      member,
      id: String(id),
      nodes: parseClusterNodes(String(nodes)),
      clusterState: parseInfo(String(info)).cluster_state ?? 'unknown',
      masterLinkUp:
        replication.role === 'slave' ? replication.master_link_status === 'up' : undefined,
      replicatesFrom:
        replication.role === 'slave'
          ? { host: replication.master_host ?? '', port: Number(replication.master_port) }
          : undefined,
      keys,
    };
  });
}

/** Runs one planned action on its member. Throws the server's error when Redis refuses it. */
export async function runAction(
  action: ClusterAction,
  member: ClusterMember,
  password: string,
  timeoutMs?: number,
): Promise<void> {
  await withRedis({ host: member.host, port: member.port, password, timeoutMs }, async (r) => {
    switch (action.type) {
      case 'set-epoch':
        await r.call('CLUSTER', 'SET-CONFIG-EPOCH', String(action.epoch));
        return;
      case 'add-slots':
        await r.call('CLUSTER', 'ADDSLOTSRANGE', ...action.ranges.flat().map(String));
        return;
      case 'meet':
        await r.call('CLUSTER', 'MEET', action.host, String(action.port));
        return;
      case 'replicate':
        await r.call('CLUSTER', 'REPLICATE', action.masterId);
        return;
      case 'forget':
        await r.call('CLUSTER', 'FORGET', action.nodeId);
        return;
    }
  });
}

/** A one-line, human-readable account of an action (no secrets). */
export function describeAction(action: ClusterAction): string {
  switch (action.type) {
    case 'set-epoch':
      return `${action.on} takes config epoch ${action.epoch}`;
    case 'add-slots':
      return `assign slots ${formatRanges(action.ranges)} to ${action.on}`;
    case 'meet':
      return `meet ${action.target} at ${action.host}:${action.port} from ${action.on}`;
    case 'replicate':
      return `${action.on} replicates ${action.master}`;
    case 'forget':
      return `${action.on} forgets failed node ${action.nodeId}`;
  }
}
