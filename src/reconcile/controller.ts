import { Cond, Reason } from '../api/conditions.js';
import type { AutoscaleHost } from '../autoscale/autoscaler.js';
import type { StatusDocument } from '../api/status.js';
import type { OpsClients } from '../execute/context.js';
import type { CrashHook } from '../execute/crash-hook.js';
import { codes, formatError, isCode } from '../errors.js';
import type { SourceFile } from '../api/manifest-file.js';
import { loadDesiredState, type DesiredState } from '../manifests/load.js';
import { revisionPolicies, type LoadedPolicies } from '../policy/load.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { noMetrics, type Metrics } from '../platform/metrics.js';
import { plan, type Action } from '../plan/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Snapshot, Source } from '../source/source.js';
import type { DatabaseClients } from './clients.js';
import { setCondition } from './conditions.js';
import type { StateStore } from './persistence.js';
import { ensureDatabase } from './ensure-database.js';
import { judgeRevision, windowWait } from './policy-gate.js';
import { endOpsOfRemoved, executedDigests, recordOpsRequests } from './ledger.js';
import { recordDesired, recordOf } from './records.js';
import { reconcileDatabase } from './reconcile-database.js';
import {
  emptyState,
  toStatusDocument,
  type ControllerState,
  type DatabaseRecord,
} from './store.js';

/** Dependencies of the controller; all side effects come in here. */
export interface ControllerDeps {
  source: Source;
  runtime: Runtime;
  clients: DatabaseClients & OpsClients;
  clock: Clock;
  log: Logger;
  /** Where the state is loaded from and saved to (persistence.ts). */
  store: StateStore;
  /** Test hook: kill the process at a named point of an operation (DBOPS_CRASH_AT). */
  crashHook?: CrashHook;
  /** Attaches an operation's result to the commit that brought it (git notes); throws on failure. */
  recordNote?: (commit: string, text: string) => Promise<void>;
  /**
   * How often the source is fetched and every database re-reconciled (repair loop). A
   * database whose step is waiting (a `waiting` error) is reconciled again after its
   * retryAfterMs on `clock` instead.
   */
  intervalMs: number;
  /** Deadline for waits inside a reconcile step. */
  waitMs?: number;
  /** Records reconciles, fetches and operations (prom-client in main.ts); none when absent. */
  metrics?: Metrics;
  /** dbops' built-in policy files (policy/built-in.ts); a repository's policies/ add to them. */
  builtInPolicies?: SourceFile[];
}

interface Worker {
  running: Promise<void>;
  pending: Action | undefined;
}

/**
 * The reconcile loop: fetch -> validate -> plan -> execute. One worker per database, so
 * databases progress in parallel and each runs one thing at a time.
 */
export class Controller {
  private snapshot: Snapshot | undefined;
  private desired: DesiredState | undefined;
  private policies: LoadedPolicies = { policies: [], errors: [], warnings: [] };
  private readonly workers = new Map<string, Worker>();
  private readonly lastAction = new Map<string, Action>();
  /** What publishStatus last showed per database (phase and message). */
  private readonly published = new Map<string, string>();
  /** The pending retry of each database that waits (see requeueAfter). */
  private readonly retries = new Map<string, AbortController>();
  private wake: (() => void) | undefined;
  private fetchRequested = true;
  private rounds = 0;
  private readonly abort = new AbortController();
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly deps: ControllerDeps,
    private readonly state: ControllerState,
  ) {}

  /** Loads the persisted state (or starts empty) and subscribes to runtime events. */
  static async open(deps: ControllerDeps): Promise<Controller> {
    const state =
      (await deps.store.load()) ?? emptyState(deps.source.description, deps.runtime.kind);
    state.source = deps.source.description;
    state.runtime = deps.runtime.kind;
    const c = new Controller(deps, state);
    c.unsubscribe = deps.runtime.subscribe((e) => {
      // Only a restart behind our back needs a reconcile (e.g. a cluster member to re-join);
      // started/ready events are the echo of our own ensureMembers and would loop.
      const react = e.type === 'member-restarted';
      deps.log[react || e.type === 'member-exited' ? 'info' : 'debug'](
        { database: e.database, member: e.member, event: e.type },
        e.message,
      );
      if (react) c.requeue(e.database);
    });
    return c;
  }

  /** The status as `dbops status --output json` shows it. */
  status(): StatusDocument {
    return toStatusDocument(this.state);
  }

  /** True once a first round has fetched and planned (for /readyz). */
  ready(): boolean {
    return this.rounds > 0 && this.snapshot !== undefined;
  }

  /** The revision applied last (the newest loaded); undefined before the first. */
  appliedRevision(): string | undefined {
    return this.state.revision ?? undefined;
  }

  /** What the storage autoscaler sees of the controller: the applied state, save, refresh. */
  autoscaleHost(): AutoscaleHost {
    return {
      current: () =>
        this.desired && this.snapshot
          ? { desired: this.desired, fetchedAt: this.snapshot.fetchedAt }
          : undefined,
      state: this.state,
      save: () => this.save(),
      refresh: () => this.refresh(),
    };
  }

  /** Asks for a fetch as soon as possible (webhook, push notification). */
  refresh(): void {
    this.fetchRequested = true;
    this.wake?.();
  }

  /** Runs rounds until the signal aborts; a round fetches when due or asked to. */
  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.abort.abort(signal.reason), { once: true });
    let nextFetch = 0;
    while (!signal.aborted) {
      const fetch = this.fetchRequested || this.deps.clock.now() >= nextFetch;
      if (fetch) {
        this.fetchRequested = false;
        nextFetch = this.deps.clock.now() + this.deps.intervalMs;
      }
      await this.round({ fetch });
      await this.sleepUntilWoken(Math.max(0, nextFetch - this.deps.clock.now()), signal);
    }
    await this.idle();
  }

  /** One round: optionally fetch, then plan and hand actions to the database workers. */
  async round(opts: { fetch: boolean }): Promise<void> {
    const { log, clock } = this.deps;
    if (opts.fetch) await this.fetch();
    const actions = await this.plan();
    for (const action of actions) this.dispatch(action);
    this.state.updatedAt = new Date(clock.now()).toISOString();
    this.rounds++;
    await this.save();
    log.debug({ actions: actions.length, revision: this.state.revision }, 'round planned');
  }

  /** Resolves when no database worker is busy. */
  async idle(): Promise<void> {
    while (this.workers.size > 0) {
      await Promise.all([...this.workers.values()].map((w) => w.running));
    }
  }

  /** Stops the loop and the workers; the runtime is closed by the caller. */
  async close(): Promise<void> {
    this.abort.abort(new Error('controller closing'));
    this.unsubscribe?.();
    await this.idle();
    await this.save();
  }

  private async fetch(): Promise<void> {
    const { source, log } = this.deps;
    let snap: Snapshot;
    const now = this.deps.clock.now();
    const seconds = () => (this.deps.clock.now() - now) / 1000;
    try {
      snap = await source.fetch(this.abort.signal);
    } catch (err) {
      this.deps.metrics?.fetchDone('error', seconds());
      const message = formatError(err);
      if (this.state.sourceError !== message) log.warn({ err: message }, 'fetch failed');
      this.state.sourceError = message;
      if (isCode(err, codes.sourceUntrusted)) {
        const why = (err as Error).message;
        const c = this.state.conditions;
        setCondition(c, now, Cond.SourceVerified, 'False', Reason.UntrustedCommit, why);
      }
      return;
    }
    this.deps.metrics?.fetchDone('success', seconds());
    this.state.sourceError = null;
    if (snap.verified) {
      const msg = `${snap.verified.commits} new commit(s) verified up to ${snap.revision.slice(0, 12)}`;
      setCondition(this.state.conditions, now, Cond.SourceVerified, 'True', Reason.Verified, msg);
    }
    if (this.snapshot?.revision === snap.revision && this.desired) return;
    this.snapshot = snap;
    for (const f of snap.files) {
      const oid = f.oid ?? '';
      if (this.state.seen[f.path]?.oid !== oid) {
        this.state.seen[f.path] = { oid, revision: snap.revision };
      }
    }
    const loaded = loadDesiredState({
      files: snap.files,
      revision: snap.revision,
      executedOps: executedDigests(this.state),
      commitOf: (path) => this.state.seen[path]?.revision,
    });
    this.policies = revisionPolicies(this.deps.builtInPolicies ?? [], snap.files);
    this.desired = judgeRevision(loaded, this.state, this.policies, now);
    this.state.revision = snap.revision;
    this.state.errors = this.desired.errors;
    for (const e of this.desired.errors) {
      log.warn({ file: e.file, line: e.line, field: e.field, code: e.code }, e.message);
    }
    recordOpsRequests(
      this.state,
      this.desired.opsRequests,
      this.deps.clock.now(),
      new Set(this.desired.invalid.keys()),
    );
    log.info(
      {
        revision: snap.revision.slice(0, 12),
        databases: this.desired.databases.size,
        errors: this.desired.errors.length,
      },
      'revision loaded',
    );
  }

  private async plan(): Promise<Action[]> {
    const lastGood = new Map(
      Object.values(this.state.databases)
        .filter((d) => d.lastGood)
        .map((d) => [d.name, d.lastGood!]),
    );
    const haltedForRemoval = new Set(
      Object.values(this.state.databases)
        .filter((d) => d.haltedForRemoval)
        .map((d) => d.name),
    );
    const present = new Set([
      ...Object.keys(this.state.databases),
      ...(await this.deps.runtime.list()),
    ]);
    if (!this.desired) {
      // Nothing fetched yet: keep repairing what was applied before.
      return [...lastGood.values()].map((spec) => ({
        type: 'ensure' as const,
        database: spec.name,
        spec,
        stale: true,
      }));
    }
    recordDesired(this.state, this.desired, this.deps.clock.now());
    return plan(this.desired, { lastGood, present, haltedForRemoval });
  }

  private record(name: string): DatabaseRecord {
    return recordOf(this.state, name, this.desired?.databases.get(name)?.spec);
  }

  private requeue(database: string): void {
    const last = this.lastAction.get(database);
    if (last) this.dispatch(last);
  }

  /**
   * Reconciles `database` again after `ms` on the controller's clock: at once for 0, not
   * before the next poll for undefined. Replaces the database's pending retry, so the
   * outcome of its latest reconcile decides.
   */
  private requeueAfter(database: string, ms: number | undefined): void {
    this.retries.get(database)?.abort();
    this.retries.delete(database);
    if (ms === undefined) return;
    if (ms === 0) return this.requeue(database);
    const timer = new AbortController();
    this.retries.set(database, timer);
    const signal = AbortSignal.any([timer.signal, this.abort.signal]);
    void this.deps.clock.sleep(ms, signal).then(
      () => {
        // A clock that ignores the signal (the manual one) still wakes a replaced retry.
        if (this.retries.get(database) !== timer || this.abort.signal.aborted) return;
        this.retries.delete(database);
        this.requeue(database);
      },
      () => undefined,
    );
  }

  private dispatch(action: Action): void {
    this.lastAction.set(action.database, action);
    const busy = this.workers.get(action.database);
    if (busy) {
      busy.pending = action;
      return;
    }
    const worker: Worker = { running: Promise.resolve(), pending: action };
    this.workers.set(action.database, worker);
    worker.running = (async () => {
      while (worker.pending && !this.abort.signal.aborted) {
        const next = worker.pending;
        worker.pending = undefined;
        await this.execute(next);
      }
      this.workers.delete(action.database);
    })();
  }

  private async execute(action: Action): Promise<void> {
    const rec = this.record(action.database);
    const deps = {
      runtime: this.deps.runtime,
      clients: this.deps.clients,
      clock: this.deps.clock,
      log: this.deps.log,
      signal: this.abort.signal,
      waitMs: this.deps.waitMs ?? 60_000,
      metrics: this.deps.metrics ?? noMetrics,
    };
    let again: number | undefined;
    if (action.type === 'ensure') {
      again = await ensureDatabase(action, rec, {
        ...deps,
        state: this.state,
        save: () => this.save(),
        windowWait: (op, r) =>
          windowWait(op, r, this.desired, this.policies, this.deps.clock.now()),
        ...(this.deps.crashHook ? { crashHook: this.deps.crashHook } : {}),
        ...(this.deps.recordNote ? { recordNote: this.deps.recordNote } : {}),
      });
    } else {
      if (action.type === 'wipe' || (action.type === 'halt' && action.reason === 'removed')) {
        endOpsOfRemoved(this.state, action.database, this.deps.clock.now());
      }
      again = await reconcileDatabase(action, rec, deps);
      if (action.type === 'wipe') {
        delete this.state.databases[action.database];
        this.lastAction.delete(action.database);
      }
    }
    if (action.type !== 'wipe' && !this.abort.signal.aborted) {
      rec.reconciledAt = new Date(this.deps.clock.now()).toISOString();
    }
    await this.save();
    if (action.type !== 'wipe') await this.publish(rec);
    this.requeueAfter(action.database, again);
  }

  /** Publishes the database's summary to the runtime when it changed (best effort). */
  private async publish(rec: DatabaseRecord): Promise<void> {
    const publish = this.deps.runtime.publishStatus?.bind(this.deps.runtime);
    if (!publish) return;
    const status = {
      phase: rec.phase,
      message: rec.conditions.find((c) => c.type === Cond.Ready)?.message ?? '',
    };
    const key = `${status.phase}\n${status.message}`;
    if (this.published.get(rec.name) === key) return;
    try {
      await publish(rec.name, status);
      this.published.set(rec.name, key);
    } catch (err) {
      this.deps.log.warn({ database: rec.name, err: formatError(err) }, 'could not publish status');
    }
  }

  private async save(): Promise<void> {
    this.state.updatedAt = new Date(this.deps.clock.now()).toISOString();
    await this.deps.store.save(this.state);
  }

  private async sleepUntilWoken(ms: number, signal: AbortSignal): Promise<void> {
    // A refresh() that came in during the round asked for a fetch when nobody was waiting.
    if (this.fetchRequested || signal.aborted) return;
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([this.deps.clock.sleep(ms, signal).catch(() => undefined), woken]);
    this.wake = undefined;
  }
}
