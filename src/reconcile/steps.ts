import { Cond, Reason, type ConditionReason } from '../api/conditions.js';
import type { DatabaseSpec, InitScripts } from '../api/desired.js';
import type { InitStatus } from '../api/status.js';
import type { CrashHook } from '../execute/crash-hook.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { codes, DbopsError, waiting } from '../errors.js';
import type { Credentials, MemberPlan, ObservedDatabase, Runtime } from '../runtime/runtime.js';
import type { DatabaseClients } from './clients.js';
import { clearCondition, setCondition } from './conditions.js';
import type { DatabaseRecord } from './store.js';

/** Everything one reconcile of one database works with. Steps fill it in as they go. */
export interface DbContext {
  spec: DatabaseSpec;
  members: MemberPlan[];
  record: DatabaseRecord;
  runtime: Runtime;
  clients: DatabaseClients;
  clock: Clock;
  log: Logger;
  signal: AbortSignal;
  /** Deadline for waits inside a step (cluster formation, replication). */
  waitMs: number;
  credentials?: Credentials;
  observed?: ObservedDatabase;
  /** Actual roles as the database reports them, by member name. */
  roles: Record<string, string>;
  /** Postgres standbys' sync_state as the primary reports it (sync, quorum, potential, async). */
  syncStates: Record<string, string>;
  /** The init scripts spec.init.script names, from the revision being applied. */
  initScripts?: InitScripts;
  /** Persists the controller's state now (a step records progress before a long action). */
  save: () => Promise<void>;
  /** Crash injection for tests: `init:begun:after`, `init:commit:after`. */
  crashHook?: CrashHook;
}

/** One sub-reconciler: sets its own condition; throws only for failures. */
export type Step = (ctx: DbContext) => Promise<void>;

/** Generates (once) and loads the database's credentials. */
export const ensureCredentials: Step = async (ctx) => {
  ctx.credentials = await ctx.runtime.ensureCredentials(ctx.spec);
};

/**
 * Volumes, config and running instances for every planned member, until they accept
 * connections; a runtime that is waiting for them requeues the database.
 */
export const ensureMembers: Step = async (ctx) => {
  const p = await ctx.runtime.ensureMembers(ctx.spec, ctx.members, ctx.signal);
  if (!p.done)
    throw waiting(codes.membersPending, `${ctx.spec.name}: ${p.waiting}`, p.retryAfterMs);
};

/** Forms or repairs the Redis Cluster (seed 004); other kinds skip this step. */
export const ensureCluster: Step = async (ctx) => {
  const { spec } = ctx;
  if (spec.kind !== 'Redis' || spec.mode !== 'Cluster') {
    clearCondition(ctx.record.conditions, Cond.ClusterHealthy);
    return;
  }
  const observed = ctx.observed ?? (await ctx.runtime.observe(spec.name));
  const byName = new Map(observed?.members.map((m) => [m.name, m]) ?? []);
  const members = ctx.members.map((m) => {
    const o = byName.get(m.name);
    return {
      name: m.name,
      shard: m.shard,
      ordinal: m.ordinal,
      host: o?.endpoint.host ?? '127.0.0.1',
      port: o?.endpoint.port ?? 0,
      ...(o?.peer ? { announce: o.peer } : {}),
    };
  });
  const report = await ctx.clients.ensureCluster({
    members,
    password: ctx.credentials?.password ?? '',
    clock: ctx.clock,
    log: ctx.log,
    timeoutMs: ctx.waitMs,
    signal: ctx.signal,
  });
  Object.assign(ctx.roles, report.roles);
  const now = ctx.clock.now();
  if (report.state === 'ok') {
    setCondition(
      ctx.record.conditions,
      now,
      Cond.ClusterHealthy,
      'True',
      Reason.Succeeded,
      'cluster_state:ok',
    );
  } else {
    setCondition(
      ctx.record.conditions,
      now,
      Cond.ClusterHealthy,
      'False',
      Reason.ClusterNotReady,
      report.problems.join('; ') || 'cluster not ok yet',
    );
  }
};

/**
 * Postgres with standbys: every standby streams from the primary. With synchronous
 * replication, also that enough standbys are synchronous for commits to return: a commit on
 * the primary blocks until they are, and the condition says so.
 */
export const checkReplication: Step = async (ctx) => {
  const { spec } = ctx;
  if (spec.kind !== 'Postgres' || spec.replicas < 2) {
    clearCondition(ctx.record.conditions, Cond.ReplicationHealthy);
    return;
  }
  const observed = ctx.observed ?? (await ctx.runtime.observe(spec.name));
  const now = ctx.clock.now();
  const want = spec.replicas - 1;
  let primary: string | undefined;
  let streaming = 0;
  const synchronous: string[] = [];
  let message = '';
  for (const m of observed?.members ?? []) {
    if (!m.running) continue;
    try {
      const pg = await ctx.clients.observePostgres({
        host: m.endpoint.host,
        port: m.endpoint.port,
        user: ctx.credentials?.username ?? 'postgres',
        password: ctx.credentials?.password ?? '',
        timeoutMs: 5000,
      });
      ctx.roles[m.name] = pg.role;
      if (pg.role === 'primary') {
        primary = m.name;
        const live = pg.replication.filter((r) => r.state === 'streaming');
        streaming = live.length;
        for (const r of pg.replication) ctx.syncStates[r.name] = r.syncState;
        // sync (FIRST) and quorum (ANY) standbys are the ones a commit waits for.
        synchronous.push(
          ...live
            .filter((r) => r.syncState === 'sync' || r.syncState === 'quorum')
            .map((r) => r.name),
        );
      }
    } catch (err) {
      message = `${m.name}: ${(err as Error).message}`;
    }
  }
  const sync = spec.synchronous;
  const waitsFor = sync
    ? `${sync.method.toUpperCase()} ${sync.count} of ${sync.standbyNames === '*' ? 'any standby' : (sync.standbyNames ?? ctx.members.map((m) => m.name)).filter((n) => n !== primary).join(', ')}`
    : '';
  const detail = message ? ` (${message})` : '';
  if (sync && primary !== undefined && synchronous.length < sync.count) {
    setCondition(
      ctx.record.conditions,
      now,
      Cond.ReplicationHealthy,
      'False',
      Reason.SynchronousStandbysMissing,
      `commits on ${primary} wait: ${synchronous.length} of ${sync.count} synchronous standby(s) connected (streamingMode Synchronous, ${waitsFor}); bring a standby back, or set spec.streamingMode: Asynchronous${detail}`,
    );
    return;
  }
  const syncNote = sync
    ? `; commits wait for ${waitsFor}, synchronous now: ${synchronous.join(', ') || 'none'}`
    : '';
  if (streaming >= want) {
    setCondition(
      ctx.record.conditions,
      now,
      Cond.ReplicationHealthy,
      'True',
      Reason.Succeeded,
      `${streaming} standby(s) streaming${syncNote}`,
    );
  } else {
    setCondition(
      ctx.record.conditions,
      now,
      Cond.ReplicationHealthy,
      'False',
      Reason.ReplicationNotReady,
      `${streaming} of ${want} standby(s) streaming${syncNote}${detail}`,
    );
  }
};

/**
 * Postgres spec.init.script: the scripts run once, in one transaction on the primary, when the
 * database is created, and the database is not Ready before they did. A failed script leaves
 * nothing behind and runs again once its ConfigMap changes; after a crash, the recorded
 * transaction id says whether the scripts committed. A database that existed before its
 * manifest named scripts, or says `initialized: true`, skips them.
 */
export const runInit: Step = async (ctx) => {
  const { spec, record } = ctx;
  const init = spec.kind === 'Postgres' ? spec.init : undefined;
  if (!init?.configMap) {
    clearCondition(record.conditions, Cond.Initialized);
    return;
  }
  const now = ctx.clock.now();
  const configMap = init.configMap;
  const scripts = ctx.initScripts?.configMap === configMap ? ctx.initScripts : undefined;
  const put = (phase: InitStatus['phase'], message: string, digest = scripts?.digest ?? '') => {
    record.init = { configMap, digest, phase, message, at: new Date(now).toISOString() };
    return record.init;
  };
  const condition = (status: 'True' | 'False', reason: ConditionReason, message: string) =>
    setCondition(record.conditions, now, Cond.Initialized, status, reason, message);

  let state = record.init?.configMap === configMap ? record.init : undefined;
  if (!state) {
    if (init.initialized)
      state = put('Skipped', 'spec.init.initialized is true: the scripts do not run');
    else if (record.applied !== null)
      state = put(
        'Skipped',
        `the database existed before spec.init.script named ConfigMap ${configMap}: init scripts run only when a database is created`,
      );
    else state = put('Pending', 'waiting for the primary');
  }
  const primary = () => {
    const first = ctx.members[0]?.name;
    const m = ctx.observed?.members.find((x) => x.name === first && x.running);
    if (!m)
      throw waiting(codes.membersPending, `${spec.name}: init scripts wait for the primary`, 2_000);
    return {
      host: m.endpoint.host,
      port: m.endpoint.port,
      user: ctx.credentials?.username ?? 'postgres',
      password: ctx.credentials?.password ?? '',
    };
  };
  if (state.phase === 'Running' && state.txid !== undefined) {
    // A controller stopped while they ran: the transaction id tells what became of them.
    const outcome = await ctx.clients.transactionOutcome(primary(), state.txid);
    if (outcome === 'in progress')
      throw waiting(
        codes.membersPending,
        `${spec.name}: the init scripts' transaction is still open`,
        2_000,
      );
    if (outcome === 'committed') {
      state = put(
        'Succeeded',
        `ran the scripts of ConfigMap ${configMap} (committed before the controller restarted)`,
        state.digest,
      );
    }
  }
  if (state.phase === 'Skipped' || state.phase === 'Succeeded') {
    const changed =
      state.phase === 'Succeeded' && scripts && scripts.digest !== state.digest
        ? `; ConfigMap ${configMap} changed since: init scripts run once, when the database is created`
        : '';
    condition(
      'True',
      state.phase === 'Skipped' ? Reason.InitSkipped : Reason.Succeeded,
      `${state.message}${changed}`,
    );
    return;
  }
  if (state.phase === 'Failed' && (!scripts || scripts.digest === state.digest)) {
    condition('False', Reason.InitScriptFailed, state.message);
    return;
  }
  if (!scripts) {
    condition(
      'False',
      Reason.InitPending,
      `waiting for ConfigMap ${configMap} in a valid revision`,
    );
    return;
  }
  const target = primary();
  const running = put(
    'Running',
    `running ${scripts.files.length} script(s) of ConfigMap ${configMap}`,
  );
  condition('False', Reason.InitPending, running.message);
  try {
    await ctx.clients.runInitScripts(target, scripts, async (txid) => {
      running.txid = txid;
      await ctx.save();
      ctx.crashHook?.('init:begun:after');
    });
    // Committed, not yet recorded: a restart learns it from the transaction id.
    ctx.crashHook?.('init:commit:after');
  } catch (err) {
    if (!(err instanceof DbopsError) || err.code !== codes.initFailed) throw err;
    put('Failed', err.message);
    condition('False', Reason.InitScriptFailed, `${err.message} (${err.hint ?? ''})`);
    return;
  }
  const files = scripts.files.map((f) => f.key).join(', ');
  put('Succeeded', `ran ${files} of ConfigMap ${configMap}`);
  condition('True', Reason.Succeeded, record.init!.message);
};

/** Reads members, volumes and versions from the runtime (the record is updated at the end). */
export const observeMembers: Step = async (ctx) => {
  ctx.observed = await ctx.runtime.observe(ctx.spec.name);
};

/** Copies what the runtime sees into the status record and sets MembersReady/VersionSubstituted. */
export function applyObserved(
  record: DatabaseRecord,
  observed: ObservedDatabase | undefined,
  roles: Record<string, string>,
  planned: MemberPlan[],
  now: number,
  syncStates: Record<string, string> = {},
): void {
  const members = observed?.members ?? [];
  record.members = members.map((m) => ({
    name: m.name,
    role: roles[m.name] ?? m.role,
    ...(syncStates[m.name] === undefined ? {} : { syncState: syncStates[m.name]! }),
    endpoint: `${m.endpoint.host}:${m.endpoint.port}`,
    ready: m.running,
    restarts: m.restarts,
    volume: {
      type: m.volume.type,
      capacityBytes: m.volume.capacityBytes,
      usedBytes: m.volume.usedBytes,
    },
  }));
  record.runningVersion = members.find((m) => m.version)?.version ?? null;
  const notReady = planned.filter((p) => !members.some((m) => m.name === p.name && m.running));
  if (notReady.length === 0) {
    setCondition(
      record.conditions,
      now,
      Cond.MembersReady,
      'True',
      Reason.Succeeded,
      `${planned.length} member(s) running`,
    );
  } else {
    setCondition(
      record.conditions,
      now,
      Cond.MembersReady,
      'False',
      Reason.MembersNotReady,
      `not running: ${notReady.map((m) => m.name).join(', ')}`,
    );
  }
  const notes = observed?.notes ?? [];
  if (notes.length > 0) {
    setCondition(
      record.conditions,
      now,
      Cond.VersionSubstituted,
      'True',
      Reason.VersionNotInstalled,
      notes.join('; '),
    );
  } else {
    clearCondition(record.conditions, Cond.VersionSubstituted);
  }
}

/**
 * The detail conditions a database of `spec` cannot be Ready without, beyond MembersReady:
 * a Redis Cluster is not Ready before its cluster is healthy, nor a Postgres with standbys
 * before they stream, even while those steps have not run yet.
 */
export function requiredConditions(spec: DatabaseSpec): string[] {
  if (spec.kind === 'Redis' && spec.mode === 'Cluster') return [Cond.ClusterHealthy];
  const required: string[] = [];
  if (spec.kind === 'Postgres' && spec.replicas > 1) required.push(Cond.ReplicationHealthy);
  if (spec.kind === 'Postgres' && spec.init?.configMap) required.push(Cond.Initialized);
  return required;
}

/** The sub-reconcilers of an `ensure`, in order. */
export const ensureSteps: readonly { name: string; run: Step }[] = [
  { name: 'credentials', run: ensureCredentials },
  { name: 'members', run: ensureMembers },
  { name: 'observe', run: observeMembers },
  { name: 'cluster', run: ensureCluster },
  { name: 'replication', run: checkReplication },
  { name: 'init', run: runInit },
];
