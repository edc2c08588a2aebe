/**
 * Planned failover of one Redis Cluster shard with no failed writes (DESIGN §5 "Reconfigure":
 * a rolling restart moves each master away before it restarts). `CLUSTER FAILOVER` in its
 * default mode is coordinated: the master pauses writes, the replica reaches the master's
 * offset and takes over, and the paused clients get MOVED to the new master, so a client that
 * follows redirections sees latency, not errors, and loses no acknowledged write.
 */
import { codes, isCode, stalled, transient } from '../../errors.js';
import { waitFor, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { observeMember } from './cluster-io.js';
import { parseInfo } from './cluster-nodes.js';
import { roleOf, self, type Address, type MemberView } from './cluster-view.js';
import { withRedis } from './connection.js';
import { formatRanges, toRanges, type SlotRange } from './slots.js';

export type { Address };

/** Replication as one server reports it in `INFO replication`. */
export interface ReplicationState {
  role: 'master' | 'replica';
  /** `master_replid`: a replica in sync shares its master's. */
  replid: string;
  /** The master's `master_repl_offset`, or the replica's `slave_repl_offset`. */
  offset: number;
  /** Replica only: link up and no full sync in progress. */
  linkUp: boolean;
}

const pollMs = 50;
// Redis' CLUSTER_MF_TIMEOUT: a manual failover that has not finished by then is abandoned.
const manualFailoverMs = 5000;

/** Reads `INFO replication` fields into a ReplicationState. Pure. */
export function replicationState(info: Readonly<Record<string, string>>): ReplicationState {
  const replica = info.role === 'slave';
  return {
    role: replica ? 'replica' : 'master',
    replid: info.master_replid ?? '',
    offset: Number((replica ? info.slave_repl_offset : info.master_repl_offset) ?? 0),
    linkUp: replica && info.master_link_status === 'up' && info.master_sync_in_progress !== '1',
  };
}

/**
 * Bytes the replica is behind the master (read first, then the replica), or a reason why it
 * is not in sync at all. `previousMasterOffset` accepts a replica that has passed where the
 * master was one poll earlier, so a busy master does not keep a healthy replica out. Pure.
 */
export function replicaLag(
  master: ReplicationState,
  replica: ReplicationState,
  previousMasterOffset = Infinity,
): { lagBytes: number } | { reason: string } {
  if (master.role !== 'master') return { reason: 'the master reports role replica' };
  if (replica.role !== 'replica') return { reason: 'the replica reports role master' };
  if (!replica.linkUp) return { reason: 'the replica link is down or syncing' };
  if (replica.replid !== master.replid) return { reason: 'the replica follows another master' };
  const lagBytes = Math.max(0, master.offset - replica.offset);
  return replica.offset >= previousMasterOffset ? { lagBytes: 0 } : { lagBytes };
}

/**
 * What still keeps a failover from `oldMaster` to `newMaster` from being complete, as seen by
 * both: roles, the old master's link, and the shard's `slots` owned by the new master only.
 * Empty when complete. Pure.
 */
export function failoverProblems(
  newMaster: MemberView,
  oldMaster: MemberView,
  slots: readonly SlotRange[],
): string[] {
  const problems: string[] = [];
  const want = slotText(slots);
  if (roleOf(newMaster) !== 'master') problems.push('the replica is not master yet');
  if (roleOf(oldMaster) !== 'replica') problems.push('the old master is not a replica yet');
  else if (oldMaster.masterLinkUp !== true) problems.push('the old master link is not up');
  for (const view of [newMaster, oldMaster]) {
    const by = `${view.member.host}:${view.member.port}`;
    const nm = view.nodes.find((n) => n.id === newMaster.id);
    const om = view.nodes.find((n) => n.id === oldMaster.id);
    if (!nm || !om) {
      problems.push(`${by} does not know both members`);
      continue;
    }
    if (slotText(nm.slots) !== want) {
      problems.push(`${by} sees slots ${slotText(nm.slots) || 'none'} on the new master`);
    }
    if (om.slots.length > 0 || om.masterId !== newMaster.id) {
      problems.push(`${by} does not see the old master as a replica of the new one`);
    }
  }
  return problems;
}

/** Inputs of `waitReplicaInSync`. */
export interface ReplicaSyncInput {
  master: Address;
  replica: Address;
  password: string;
  clock: Clock;
  /** Default 60 s. */
  timeoutMs?: number;
  /** Lag accepted as in sync; default 1 MiB. */
  maxLagBytes?: number;
  signal?: AbortSignal;
}

/**
 * Waits until `replica` streams from `master` (link up, same replication id) and is at most
 * `maxLagBytes` behind. Returns the lag seen. Throws DbopsError `replicationFailed`
 * (transient) with the last state seen at the deadline.
 */
export async function waitReplicaInSync(input: ReplicaSyncInput): Promise<{ lagBytes: number }> {
  const timeoutMs = input.timeoutMs ?? 60_000;
  const maxLag = input.maxLagBytes ?? 1024 * 1024;
  let previous = Infinity;
  let seen = 'nothing yet';
  const check = async () => {
    const master = await replication(input.master, input.password);
    const replica = await replication(input.replica, input.password);
    const lag = replicaLag(master, replica, previous);
    previous = master.offset;
    seen = 'reason' in lag ? lag.reason : `${lag.lagBytes} bytes behind`;
    return 'lagBytes' in lag && lag.lagBytes <= maxLag ? lag : undefined;
  };
  try {
    return await waitFor(input.clock, 'the replica to be in sync', check, {
      timeoutMs,
      intervalMs: pollMs,
      signal: input.signal,
    });
  } catch (err) {
    if (input.signal?.aborted || isCode(err, codes.dbAuth)) throw err;
    const pair = `${addr(input.replica)} (replica of ${addr(input.master)})`;
    throw transient(
      codes.replicationFailed,
      `${pair} was not in sync within ${timeoutMs} ms: ${seen}`,
      { hint: 'check both members and their replication link; dbops retries', cause: err },
    );
  }
}

/** Inputs of `failoverShard`. */
export interface FailoverInput {
  master: Address;
  replica: Address;
  password: string;
  clock: Clock;
  log: Logger;
  /** Deadline for the whole call; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Makes `replica` the master of its shard with a coordinated `CLUSTER FAILOVER` after it has
 * caught up, and waits until both members agree: the replica is master of the shard's slots,
 * the old master its replica with the link up. Returns `performed: false` (after the same
 * wait) when the replica already is the master. Throws DbopsError `clusterFailed` (stalled)
 * when the replica does not replicate `master`, and (transient) with what was seen at the
 * deadline.
 */
export async function failoverShard(input: FailoverInput): Promise<{ performed: boolean }> {
  const { clock, log, password } = input;
  const timeoutMs = input.timeoutMs ?? 60_000;
  const deadline = clock.now() + timeoutMs;
  const [m0, r0] = await Promise.all([view(input.master, password), view(input.replica, password)]);
  if (roleOf(r0) === 'master') {
    await waitDone(input, deadline, self(r0)?.slots ?? []);
    log.info({ master: addr(input.replica) }, 'redis failover already done');
    return { performed: false };
  }
  if (self(r0)?.masterId !== m0.id || roleOf(m0) !== 'master') {
    throw stalled(
      codes.clusterFailed,
      `${addr(input.replica)} is not a replica of the master ${addr(input.master)}`,
      { hint: 'repair the cluster (reconcile) before failing over' },
    );
  }
  const slots = self(m0)?.slots ?? [];
  await waitReplicaInSync({ ...input, timeoutMs: Math.max(0, deadline - clock.now()) });
  const started = clock.now();
  let asked = 0;
  await waitDone(input, deadline, slots, async (newMaster) => {
    // A failover the master could not coordinate in time is abandoned by Redis: ask again.
    if (roleOf(newMaster) === 'master' || clock.now() < asked + manualFailoverMs) return;
    asked = clock.now();
    log.info({ replica: addr(input.replica), master: addr(input.master) }, 'CLUSTER FAILOVER');
    await withRedis({ ...input.replica, password }, (r) => r.call('CLUSTER', 'FAILOVER'));
  });
  log.info({ master: addr(input.replica), ms: clock.now() - started }, 'redis failover done');
  return { performed: true };
}

async function waitDone(
  input: FailoverInput,
  deadline: number,
  slots: readonly SlotRange[],
  act?: (newMaster: MemberView) => Promise<void>,
): Promise<void> {
  let seen: string[] = ['nothing yet'];
  const check = async () => {
    const [nm, om] = await Promise.all([
      view(input.replica, input.password),
      view(input.master, input.password),
    ]);
    seen = failoverProblems(nm, om, slots);
    if (seen.length === 0) return true;
    await act?.(nm);
    return undefined;
  };
  const timeoutMs = Math.max(0, deadline - input.clock.now());
  try {
    await waitFor(input.clock, 'the failover', check, {
      timeoutMs,
      intervalMs: pollMs,
      signal: input.signal,
    });
  } catch (err) {
    if (input.signal?.aborted) throw err;
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
    throw transient(
      codes.clusterFailed,
      `failover of ${addr(input.master)} to ${addr(input.replica)} did not complete in time: ` +
        [...seen, cause].filter(Boolean).join('; '),
      { hint: 'check both members (logs, CLUSTER NODES); dbops retries the failover', cause: err },
    );
  }
}

function view(a: Address, password: string): Promise<MemberView> {
  return observeMember({ name: addr(a), shard: 0, ordinal: 0, ...a }, password);
}

async function replication(a: Address, password: string): Promise<ReplicationState> {
  const text = await withRedis({ ...a, password }, (r) => r.info('replication'));
  return replicationState(parseInfo(text));
}

// Views may split one range in two (`0-5460 5461`): compare merged ranges.
function slotText(ranges: readonly SlotRange[]): string {
  const slots = ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));
  return formatRanges(toRanges([...new Set(slots)].sort((x, y) => x - y)));
}

function addr(a: Address): string {
  return `${a.host}:${a.port}`;
}
