import { DbopsError, codes, stalled, transient } from '../../errors.js';
import { waitFor, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { describeAction, observeMember, runAction } from './cluster-io.js';
import { allKnowEachOther, planCluster, rolesOf, type ClusterPlan } from './cluster-plan.js';
import type { ClusterMember, MemberView } from './cluster-view.js';
import { withRedis } from './connection.js';

export type { ClusterMember } from './cluster-view.js';

/** The outcome of one `ensureCluster` call. */
export interface ClusterReport {
  state: 'ok' | 'fail';
  /** This call assigned slots for the first time. */
  created: boolean;
  /** What this call did, in order, e.g. `cache-shard0-1 replicates cache-shard0-0`. */
  actions: string[];
  /** Member name -> role it reports. */
  roles: Record<string, 'master' | 'replica' | 'unknown'>;
  /** What is still wrong when state is `fail`. */
  problems: string[];
}

/** Inputs of `ensureCluster`. */
export interface EnsureClusterInput {
  members: ClusterMember[];
  password: string;
  clock: Clock;
  log: Logger;
  /** Deadline for the whole call; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const pollMs = 100;
const meetSettleMs = 5000;

/**
 * Creates the Redis Cluster of `members` once and repairs it on every later call (seed 004):
 * meets, unassigned slots to each shard's master, replicas of the shard master, failed stale
 * ids forgotten. Each step is idempotent and logged at info as it runs; a call that finds
 * the cluster healthy logs only at debug. Returns a report (state `fail` with problems when
 * the deadline passes); throws DbopsError `clusterFailed` on a refused password or a member
 * still unreachable at the deadline.
 */
export async function ensureCluster(input: EnsureClusterInput): Promise<ClusterReport> {
  const { members, password, clock, log, signal } = input;
  const timeoutMs = input.timeoutMs ?? 60_000;
  const deadline = clock.now() + timeoutMs;
  if (members.length === 0 || new Set(members.map((m) => m.name)).size !== members.length) {
    throw stalled(codes.clusterFailed, 'a Redis Cluster needs members with unique names', {
      hint: 'this is a bug in the caller: report it',
    });
  }
  await waitForMembers(input, timeoutMs);
  const done: string[] = [];
  const failures = new Map<string, string>();
  let created = false;
  let startedFresh: boolean | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const { views, unreachable } = await observeAll(members, password);
    const plan = planCluster(members, views);
    startedFresh ??= plan.fresh;
    const report = (state: 'ok' | 'fail'): ClusterReport => ({
      state,
      created,
      actions: done,
      roles: rolesOf(members, views),
      problems: state === 'ok' ? [] : [...plan.problems, ...plan.waiting, ...failures.values()],
    });
    if (plan.converged) {
      // Info only when this call changed something: a steady cluster is checked every round.
      if (done.length > 0) log.info({ created, actions: done.length }, 'redis cluster ok');
      else log.debug('redis cluster ok');
      return report('ok');
    }
    if (clock.now() >= deadline) {
      if (unreachable.length > 0) throw unreachableError(unreachable, timeoutMs);
      log.warn({ problems: report('fail').problems }, 'redis cluster not ok at the deadline');
      return report('fail');
    }
    if (plan.actions.length === 0 && plan.waiting.length === 0) {
      log.warn({ problems: plan.problems }, 'redis cluster needs a human');
      return report('fail');
    }
    await execute(plan, input, done, failures);
    if (startedFresh && plan.actions.some((a) => a.type === 'add-slots')) created = true;
    if (plan.actions.some((a) => a.type === 'meet')) {
      await settleMeets(input, Math.min(meetSettleMs, Math.max(0, deadline - clock.now())));
    } else {
      await clock.sleep(pollMs, signal);
    }
  }
}

async function execute(
  plan: ClusterPlan,
  input: EnsureClusterInput,
  done: string[],
  failures: Map<string, string>,
): Promise<void> {
  for (const action of plan.actions) {
    const member = input.members.find((m) => m.name === action.on);
    if (!member) continue;
    const what = describeAction(action);
    try {
      await runAction(action, member, input.password);
      failures.delete(what);
      done.push(what);
      input.log.info({ action: what }, 'redis cluster');
    } catch (err) {
      // The next round observes again and plans anew; the error stays for the report.
      const why = err instanceof Error ? err.message : String(err);
      failures.set(what, `${what} failed: ${why}`);
      input.log.warn({ action: what, err: why }, 'redis cluster action failed');
    }
  }
}

async function observeAll(
  members: readonly ClusterMember[],
  password: string,
): Promise<{ views: MemberView[]; unreachable: string[] }> {
  const results = await Promise.allSettled(members.map((m) => observeMember(m, password)));
  const refused = results.find((r) => r.status === 'rejected' && isRefused(r.reason));
  if (refused?.status === 'rejected') throw authFailure(refused.reason as DbopsError);
  const views: MemberView[] = [];
  const unreachable: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') views.push(r.value);
    else unreachable.push(members[i]?.name ?? '?');
  });
  return { views, unreachable };
}

async function waitForMembers(input: EnsureClusterInput, timeoutMs: number): Promise<void> {
  const ping = (m: ClusterMember) =>
    withRedis({ host: m.host, port: m.port, password: input.password, timeoutMs: 2000 }, (r) =>
      r.ping(),
    );
  let unreachable = input.members.map((m) => m.name);
  let refused: unknown;
  try {
    await waitFor(
      input.clock,
      'every Redis member to answer PING',
      async () => {
        const results = await Promise.allSettled(input.members.map(ping));
        refused = results.find((r) => r.status === 'rejected' && isRefused(r.reason));
        unreachable = input.members
          .filter((_, i) => results[i]?.status !== 'fulfilled')
          .map((m) => m.name);
        return refused !== undefined || unreachable.length === 0 ? true : undefined;
      },
      { timeoutMs, intervalMs: pollMs, signal: input.signal },
    );
  } catch (err) {
    if (input.signal?.aborted) throw err;
    throw unreachableError(unreachable, timeoutMs, err);
  }
  // A wrong password does not heal by waiting: fail at once.
  if (refused) throw authFailure((refused as PromiseRejectedResult).reason as DbopsError);
}

function isRefused(err: unknown): boolean {
  return err instanceof DbopsError && err.code === codes.dbAuth;
}

function authFailure(err: DbopsError): DbopsError {
  return stalled(codes.clusterFailed, err.message, { hint: err.hint, cause: err });
}

async function settleMeets(input: EnsureClusterInput, timeoutMs: number): Promise<void> {
  await waitFor(
    input.clock,
    'members to know each other',
    async () =>
      allKnowEachOther((await observeAll(input.members, input.password)).views) || undefined,
    { timeoutMs, intervalMs: pollMs, signal: input.signal },
  ).catch(() => undefined);
}

function unreachableError(names: string[], timeoutMs: number, cause?: unknown): DbopsError {
  return transient(
    codes.clusterFailed,
    `Redis members ${names.join(', ')} did not answer within ${timeoutMs} ms`,
    { hint: 'check that every member process runs; dbops retries on the next reconcile', cause },
  );
}
