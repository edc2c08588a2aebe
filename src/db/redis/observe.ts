import { parseInfo } from './cluster-nodes.js';
import { withRedis } from './connection.js';

/** What one Redis server reports about itself. */
export interface RedisObservation {
  role: 'master' | 'replica';
  /** `redis_version`, e.g. "7.0.15". */
  version: string;
  usedMemoryBytes: number;
  /** For a replica: whether the link to its master is up. */
  masterLinkUp?: boolean;
  connectedReplicas: number;
  /** Present when cluster mode is enabled. */
  cluster?: { state: string; knownNodes: number; slotsAssigned: number };
}

/**
 * Reads role, version, memory, replication and (in cluster mode) cluster state from one
 * Redis server with a short-lived plain client. Throws DbopsError `dbUnreachable` or `dbAuth`.
 */
export function observeRedis(input: {
  host: string;
  port: number;
  password: string;
  timeoutMs?: number;
}): Promise<RedisObservation> {
  return withRedis(input, async (r) => {
    const info = parseInfo(await r.info());
    const role = info.role === 'slave' ? 'replica' : 'master';
    const out: RedisObservation = {
      role,
      version: info.redis_version ?? 'unknown',
      usedMemoryBytes: Number(info.used_memory ?? 0),
      connectedReplicas: Number(info.connected_slaves ?? 0),
    };
    if (role === 'replica') out.masterLinkUp = info.master_link_status === 'up';
    if (info.cluster_enabled === '1') {
      const c = parseInfo(String(await r.call('CLUSTER', 'INFO')));
      out.cluster = {
        state: c.cluster_state ?? 'unknown',
        knownNodes: Number(c.cluster_known_nodes ?? 0),
        slotsAssigned: Number(c.cluster_slots_assigned ?? 0),
      };
    }
    return out;
  });
}
