import { Cond, Reason } from '../api/conditions.js';
import type { EffectiveDatabase, OpsRequest } from '../api/desired.js';
import type { OpsClients } from '../execute/context.js';
import type { CrashHook } from '../execute/crash-hook.js';
import { isTerminal } from '../execute/engine.js';
import { newOperation, nextOperation } from '../execute/queue.js';
import type { StatusDocument } from '../api/status.js';
import { formatError } from '../errors.js';
import { loadDesiredState, type DesiredState } from '../manifests/load.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { plan, type Action } from '../plan/plan.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Snapshot, Source } from '../source/source.js';
import type { DatabaseClients } from './clients.js';
import { clearCondition, setCondition } from './conditions.js';
import { deriveOperations, type StoredOp } from './derive.js';
import { formatOperationNote } from '../source/git-notes.js';
import { reconcileDatabase, type ReconcileDeps } from './reconcile-database.js';
import { runStoredOperation } from './run-operation.js';
import {
  emptyState,
  loadState,
  StateWriter,
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
  stateDir: string;
  /** Test hook: kill the process at a named point of an operation (DBOPS_CRASH_AT). */
  crashHook?: CrashHook;
  /** Attaches an operation's result to the commit that brought it (git notes); throws on failure. */
  recordNote?: (commit: string, text: string) => Promise<void>;
  /** How often the source is fetched and every database re-reconciled (repair loop). */
  intervalMs: number;
  /** Deadline for waits inside a reconcile step. */
  waitMs?: number;
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
  private readonly workers = new Map<string, Worker>();
  private readonly lastAction = new Map<string, Action>();
  private readonly writer: StateWriter;
  private wake: (() => void) | undefined;
  private fetchRequested = true;
  private rounds = 0;
  private readonly abort = new AbortController();
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly deps: ControllerDeps,
    private readonly state: ControllerState,
  ) {
    this.writer = new StateWriter(deps.stateDir);
  }

  /** Loads the persisted state (or starts empty) and subscribes to runtime events. */
  static async open(deps: ControllerDeps): Promise<Controller> {
    const state =
      (await loadState(deps.stateDir)) ?? emptyState(deps.source.description, deps.runtime.kind);
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
    try {
      snap = await source.fetch(this.abort.signal);
    } catch (err) {
      const message = formatError(err);
      if (this.state.sourceError !== message) log.warn({ err: message }, 'fetch failed');
      this.state.sourceError = message;
      return;
    }
    this.state.sourceError = null;
    if (this.snapshot?.revision === snap.revision && this.desired) return;
    this.snapshot = snap;
    for (const f of snap.files) {
      const oid = f.oid ?? '';
      if (this.state.seen[f.path]?.oid !== oid) {
        this.state.seen[f.path] = { oid, revision: snap.revision };
      }
    }
    // Started or finished OpsRequests are immutable: an edit is reported, not applied.
    const executedOps = new Map(
      Object.values(this.state.operations)
        .filter((o) => o.source === 'OpsRequest' && o.phase !== 'Pending' && o.digest)
        .map((o) => [o.id, o.digest!]),
    );
    this.desired = loadDesiredState({
      files: snap.files,
      revision: snap.revision,
      executedOps,
      commitOf: (path) => this.state.seen[path]?.revision,
    });
    this.state.revision = snap.revision;
    this.state.errors = this.desired.errors;
    for (const e of this.desired.errors) {
      log.warn({ file: e.file, line: e.line, field: e.field, code: e.code }, e.message);
    }
    this.recordOps(this.desired.opsRequests);
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
    const now = this.deps.clock.now();
    for (const [name, errors] of this.desired.invalid) {
      const rec = this.record(name);
      const first = errors[0];
      setCondition(
        rec.conditions,
        now,
        Cond.ManifestValid,
        'False',
        rec.lastGood ? Reason.KeptAtLastGoodRevision : Reason.InvalidManifest,
        `${errors.length} error(s) at ${this.state.revision?.slice(0, 12) ?? '?'}` +
          (first
            ? `, first: ${first.file}:${first.line}:${first.column} ${first.field}: ${first.message}`
            : ''),
      );
    }
    for (const [name, eff] of this.desired.databases) {
      const rec = this.record(name);
      setCondition(rec.conditions, now, Cond.ManifestValid, 'True', Reason.Succeeded, '');
      rec.effective = effectiveFields(eff);
      rec.lastGood = eff.spec;
      rec.lastGoodRevision = this.state.revision;
    }
    return plan(this.desired, { lastGood, present, haltedForRemoval });
  }

  private record(name: string): DatabaseRecord {
    let rec = this.state.databases[name];
    if (!rec) {
      const spec = this.desired?.databases.get(name)?.spec;
      rec = {
        name,
        kind: spec?.kind ?? 'Redis',
        mode: spec?.kind === 'Redis' ? spec.mode : 'Standalone',
        lastGood: null,
        lastGoodRevision: null,
        applied: null,
        effective: {},
        haltedForRemoval: false,
        phase: 'Provisioning',
        runningVersion: null,
        conditions: [],
        members: [],
      };
      this.state.databases[name] = rec;
    }
    return rec;
  }

  private recordOps(ops: OpsRequest[]): void {
    const now = this.deps.clock.now();
    const inGit = new Set(ops.map((o) => o.name));
    for (const op of ops) {
      const known = this.state.operations[op.name];
      if (known && known.phase !== 'Pending') continue; // immutable once started
      this.state.operations[op.name] = {
        ...(known ?? newOperation({ id: op.name, database: op.database, type: op.type }, now)),
        database: op.database,
        type: op.type,
        source: 'OpsRequest',
        file: op.origin.file,
        digest: op.digest,
        revision: op.origin.commit ?? this.state.revision,
        apply: op.apply,
        timeoutMs: op.timeoutMs ?? null,
        request: op,
        target: null,
        targetKey: null,
        position: known?.position ?? null,
        noted: false,
      };
    }
    for (const o of Object.values(this.state.operations)) {
      if (o.source === 'OpsRequest' && o.phase === 'Pending' && !inGit.has(o.id)) {
        Object.assign(o, {
          phase: 'Skipped',
          reason: 'Removed',
          message: 'the OpsRequest file was removed before the operation started',
          finishedAt: new Date(now).toISOString(),
          position: null,
        });
      }
    }
  }

  /** The operations of a database in arrival order: OpsRequests by file path, then derived ones. */
  private opsOf(database: string): StoredOp[] {
    const all = Object.values(this.state.operations).filter((o) => o.database === database);
    const explicit = all
      .filter((o) => o.source === 'OpsRequest')
      .sort((a, b) => (a.file ?? '').localeCompare(b.file ?? ''));
    const derived = all
      .filter((o) => o.source === 'SpecChange')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return [...explicit, ...derived];
  }

  private requeue(database: string): void {
    const last = this.lastAction.get(database);
    if (last) this.dispatch(last);
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
    };
    if (action.type === 'ensure') {
      await this.ensure(action, rec, deps);
    } else {
      await reconcileDatabase(action, rec, deps);
      if (action.type === 'wipe') {
        delete this.state.databases[action.database];
        this.lastAction.delete(action.database);
      } else {
        clearCondition(rec.conditions, Cond.Reconciling);
      }
    }
    await this.save();
  }

  /**
   * Provisions a new database at its target; for an existing one runs its operations one at
   * a time (OpsRequests in file order, then those a spec change needs), and only then the
   * regular reconcile at the spec it runs at: reconciliation pauses while an operation runs.
   */
  private async ensure(
    action: Extract<Action, { type: 'ensure' }>,
    rec: DatabaseRecord,
    deps: ReconcileDeps & { clients: DatabaseClients & OpsClients },
  ): Promise<void> {
    const { clock, log } = this.deps;
    if (!rec.applied) {
      setCondition(
        rec.conditions,
        clock.now(),
        Cond.Reconciling,
        'True',
        Reason.Progressing,
        'provisioning',
      );
      await reconcileDatabase(action, rec, deps);
      if (rec.conditions.some((c) => c.type === Cond.MembersReady && c.status === 'True')) {
        rec.applied = action.spec;
        for (const o of this.opsOf(rec.name).filter((x) => x.phase === 'Pending')) {
          Object.assign(o, {
            phase: 'Skipped',
            reason: 'AppliedAtCreation',
            message: 'the database was created with this change already in its spec',
            finishedAt: new Date(clock.now()).toISOString(),
            position: null,
          });
        }
      }
      return;
    }
    for (let round = 0; round < 50 && !this.abort.signal.aborted; round++) {
      const ops = this.opsOf(rec.name);
      if (!ops.some((o) => o.source === 'OpsRequest' && !isTerminal(o.phase))) {
        const d = deriveOperations({
          database: rec.name,
          applied: rec.applied,
          target: action.spec,
          existing: ops,
          revision: rec.lastGoodRevision,
          now: clock.now(),
        });
        rec.applied = d.applied;
        for (const o of d.add) this.state.operations[o.id] = o;
        this.noteCondition(rec, 'VolumeSize', d.notes.volumeStays);
        this.noteCondition(rec, 'UnsupportedChange', d.notes.unsupported);
      }
      const view = nextOperation(
        this.opsOf(rec.name).map((op) => ({ op, apply: op.apply })),
        rec.phase === 'Ready',
      );
      for (const w of view.waiting) {
        const o = this.state.operations[w.id];
        if (o) Object.assign(o, { position: w.position, message: w.message });
      }
      const next = view.next ? this.state.operations[view.next.id] : undefined;
      if (!next) break;
      const done = await runStoredOperation(next, rec, {
        ...deps,
        ...(this.deps.crashHook ? { crashHook: this.deps.crashHook } : {}),
        persist: async (op) => {
          this.state.operations[op.id] = op;
          await this.save();
        },
      });
      this.state.operations[done.id] = done;
      if (!isTerminal(done.phase)) return; // shutting down: it resumes on the next start
      log.debug({ database: rec.name, operation: done.id, phase: done.phase }, 'operation ended');
    }
    await reconcileDatabase({ ...action, spec: rec.applied }, rec, deps);
    await this.recordNotes(rec.name);
    const waiting = this.opsOf(rec.name).some((o) => o.phase === 'Pending');
    if (waiting && rec.phase === 'Ready') this.dispatch(action);
  }

  /** Audit: one git note per finished operation, retried on later rounds until pushed. */
  private async recordNotes(database: string): Promise<void> {
    const record = this.deps.recordNote;
    if (!record) return;
    for (const op of this.opsOf(database)) {
      if (op.noted || !isTerminal(op.phase) || !op.revision || !/^[0-9a-f]{40}$/.test(op.revision))
        continue;
      if (op.phase === 'Skipped' && op.reason === 'AppliedAtCreation') continue;
      try {
        await record(op.revision, formatOperationNote({ ...op, file: op.file ?? undefined }));
        op.noted = true;
        await this.save();
      } catch (err) {
        this.deps.log.warn(
          { operation: op.id, err: formatError(err) },
          'could not record the git note; retrying later',
        );
        return;
      }
    }
  }

  private noteCondition(rec: DatabaseRecord, type: string, message: string | null): void {
    if (message) setCondition(rec.conditions, this.deps.clock.now(), type, 'True', type, message);
    else clearCondition(rec.conditions, type);
  }

  private async save(): Promise<void> {
    this.state.updatedAt = new Date(this.deps.clock.now()).toISOString();
    await this.writer.save(this.state);
  }

  private async sleepUntilWoken(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new Promise<void>((resolve) => (this.wake = resolve));
    await Promise.race([this.deps.clock.sleep(ms, signal).catch(() => undefined), woken]);
    this.wake = undefined;
  }
}

/** Each effective field with its value and provenance, for `dbops status <db>`. */
export function effectiveFields(eff: EffectiveDatabase): DatabaseRecord['effective'] {
  const out: DatabaseRecord['effective'] = {};
  for (const [field, origin] of Object.entries(eff.provenance)) {
    let value: unknown = { spec: eff.spec };
    for (const part of field.split('.')) {
      value =
        value !== null && typeof value === 'object'
          ? (value as Record<string, unknown>)[part]
          : undefined;
    }
    out[field] = {
      value,
      file: origin.file,
      ...(origin.line ? { line: origin.line } : {}),
      ...(origin.commit ? { commit: origin.commit } : {}),
    };
  }
  return out;
}
