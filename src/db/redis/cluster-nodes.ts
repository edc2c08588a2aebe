import type { SlotRange } from './slots.js';

/** One line of `CLUSTER NODES`, as one member sees the cluster. */
export interface ClusterNode {
  id: string;
  host: string;
  port: number;
  /** Flags such as `myself`, `master`, `slave`, `fail`, `fail?`, `handshake`, `noaddr`. */
  flags: string[];
  /** Id of the node's master when it is a replica; null otherwise. */
  masterId: string | null;
  configEpoch: number;
  linkState: 'connected' | 'disconnected';
  /** Slots the node owns in this view (migration markers are left out). */
  slots: SlotRange[];
}

/** Parses the text of `CLUSTER NODES`; lines it cannot read are skipped. Pure. */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const [id, addr, flags, master, , , epoch, link] = f;
    if (!id || !addr || !flags || !master || epoch === undefined || !link) continue;
    const hostPort = addr.split('@')[0] ?? '';
    const colon = hostPort.lastIndexOf(':');
    const slots: SlotRange[] = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue;
      const [a, b] = s.split('-').map(Number);
      if (a === undefined || !Number.isInteger(a)) continue;
      slots.push([a, b ?? a]);
    }
    nodes.push({
      id,
      host: colon >= 0 ? hostPort.slice(0, colon) : hostPort,
      port: colon >= 0 ? Number(hostPort.slice(colon + 1)) : 0,
      flags: flags.split(','),
      masterId: master === '-' ? null : master,
      configEpoch: Number(epoch),
      linkState: link === 'connected' ? 'connected' : 'disconnected',
      slots,
    });
  }
  return nodes;
}

/** Parses `INFO` or `CLUSTER INFO` text into key/value pairs. Pure. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** True when a view's entry is a real, reachable-by-address node (not a pending handshake). */
export function isSettled(node: ClusterNode): boolean {
  return !node.flags.includes('handshake') && !node.flags.includes('noaddr');
}

/** True when the cluster considers the node failed (`fail`) or addressless (`noaddr`). */
export function isFailedOrNoAddr(node: ClusterNode): boolean {
  return node.flags.includes('fail') || node.flags.includes('noaddr');
}
