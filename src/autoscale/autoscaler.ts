/**
 * The storage autoscaler loop (DESIGN §3): sample every volume, decide (pure), and write the
 * decision to Git as a new OpsRequest file; the controller then runs it like any other. Read,
 * decide, act: the commit is retried by re-reading the head and deciding again there.
 */
import { Cond, Reason } from '../api/conditions.js';
import type { Autoscaler, EffectiveDatabase } from '../api/desired.js';
import type { AutoscalerDecisionStatus } from '../api/status.js';
import { formatError } from '../errors.js';
import type { CrashHook } from '../execute/crash-hook.js';
import { loadDesiredState, type DesiredState } from '../manifests/load.js';
import { opsFileStamp } from '../manifests/render-ops.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { retryOnConflict, type Attempt } from '../platform/retry-conflict.js';
import { clearCondition, setCondition } from '../reconcile/conditions.js';
import type { ControllerState } from '../reconcile/store.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Source } from '../source/source.js';
import { commitMessage, decisionFile } from './commit-message.js';
import { dataSample, defaultDataIntervalMs, type DataBytes } from './data-sample.js';
import { decide, type Decision, type VolumeUsage } from './decide.js';
import { expansionGates, recordOfAutoscaler, type AutoscalerRecord } from './record.js';

/** What the autoscaler needs of the controller: the state it applies, and a way to act now. */
export interface AutoscaleHost {
  /** The desired state being applied and when its revision was fetched; undefined before. */
  current(): { desired: DesiredState; fetchedAt: number } | undefined;
  /** The controller's durable state (the autoscaler owns `state.autoscalers`). */
  readonly state: ControllerState;
  save(): Promise<void>;
  /** Fetch and apply the newest revision now instead of at the next poll. */
  refresh(): void;
}

/** Settings and side effects of the autoscaler; all injected. */
export interface AutoscalerDeps {
  host: AutoscaleHost;
  source: Source;
  runtime: Runtime;
  clock: Clock;
  random: () => number;
  log: Logger;
  author: { name: string; email: string };
  /** Review mode: decisions go to branches `<prefix>/<database>-<stamp>`. */
  branchPrefix?: string;
  sign?: (payload: string) => Promise<string>;
  cooldownMs: number;
  /** What each member's server reports its data takes: shown in status, never the trigger. */
  dataBytes?: DataBytes;
  /** Database sizes are read at most this often per database (default 30 s). */
  dataIntervalMs?: number;
  maxAttempts?: number;
  crashHook?: CrashHook;
}

type Expand = Extract<Decision, { action: 'expand' }>;
type Outcome =
  | { kind: 'committed'; revision: string; existed: boolean }
  | { kind: 'superseded'; message: string }
  | { kind: 'refused'; message: string };

/** Runs storage autoscaling rounds: one per `tick()`, each over every autoscaler. */
export class StorageAutoscaler {
  constructor(private readonly deps: AutoscalerDeps) {}

  /** Ticks every `intervalMs` until the signal aborts; a failed round is logged, not fatal. */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick(signal);
      } catch (err) {
        if (!signal.aborted)
          this.deps.log.warn({ err: formatError(err) }, 'autoscaler round failed');
      }
      await this.deps.clock.sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  /** One round: each autoscaler of the applied revision samples, decides and commits. */
  async tick(signal?: AbortSignal): Promise<void> {
    const { host } = this.deps;
    const now = host.current();
    const records = (host.state.autoscalers ??= {});
    if (!now) return;
    const before = decisionsOf(records);
    const active = new Set<string>();
    // The manifests allow one autoscaler per database (a second one is a manifest error).
    for (const db of now.desired.databases.values()) {
      const a = db.autoscalers[0];
      if (!a) continue;
      active.add(a.database);
      await this.one(db, a, now, signal);
    }
    // An autoscaler gone from the applied revision takes its record along, and with it any
    // decision not pushed yet: removing the autoscaler from Git withdraws that decision too.
    for (const name of Object.keys(records)) if (!active.has(name)) delete records[name];
    // Samples and counters change every round; they reach the state file with the
    // controller's next save (every poll and operation step), not every 5 s.
    if (decisionsOf(records) !== before) await host.save();
  }

  private async one(
    db: EffectiveDatabase,
    a: Autoscaler,
    now: { desired: DesiredState; fetchedAt: number },
    signal?: AbortSignal,
  ): Promise<void> {
    const { host, clock } = this.deps;
    const rec = recordOfAutoscaler(host.state.autoscalers!, a, this.mode());
    const usage = await this.sample(rec, a.database);
    if (rec.stage === 'landing' && rec.lastDecision) {
      const file = rec.lastDecision.file;
      const seen = db.ops.some((o) => o.origin.file === file);
      // A revision fetched after the push lacks the file: the commit was reverted or replaced.
      const moot = rec.mode === 'commit' && now.fetchedAt > (rec.pushedAt ?? Infinity);
      if (!seen && !moot) return;
      rec.stage = 'idle';
      // A review branch that reached the applied revision was merged.
      if (seen) rec.lastDecision.result = 'Committed';
      clearCondition(rec.conditions, Cond.AutoscalerAwaitingMerge);
    }
    if (rec.stage === 'committing') return this.commit(rec, a, usage, signal);
    const gates = expansionGates(Object.values(host.state.operations), a.database);
    const record = host.state.databases[a.database];
    const d = decide({
      autoscaler: a,
      currentBytes: db.spec.storageBytes,
      usage,
      database: {
        present: record !== undefined,
        halted: db.spec.halted || record?.phase === 'Halted',
        ready: record?.phase === 'Ready',
      },
      expansionInFlight: gates.inFlight,
      ...(gates.lastEndedAt === undefined ? {} : { lastExpansionEndedAt: gates.lastEndedAt }),
      cooldownMs: this.deps.cooldownMs,
      now: clock.now(),
    });
    const result = d.action === 'expand' ? 'Expand' : d.reason;
    rec.decisions[result] = (rec.decisions[result] ?? 0) + 1;
    this.boundCondition(rec, d);
    if (d.action !== 'expand') return;
    const at = clock.now();
    const file = decisionFile(d, a, db.spec.kind, at).path;
    this.deps.log.info({ database: a.database, file }, d.message);
    rec.stage = 'committing';
    rec.decidedAt = at;
    rec.lastDecision = decisionStatus(d, at, file, this.branchOf(a.database, at));
    await host.save();
    this.deps.crashHook?.('autoscale:commit:before');
    await this.commit(rec, a, usage, signal);
  }

  /** Commits the persisted decision of `rec`, re-deciding on each head it is retried on. */
  private async commit(
    rec: AutoscalerRecord,
    a: Autoscaler,
    usage: VolumeUsage[],
    signal?: AbortSignal,
  ): Promise<void> {
    const { host, log } = this.deps;
    const last = rec.lastDecision!;
    let out;
    try {
      out = await retryOnConflict<Outcome>(() => this.attempt(rec, a, usage, signal), {
        clock: this.deps.clock,
        random: this.deps.random,
        maxAttempts: this.deps.maxAttempts ?? 8,
        // Short: the writers it races are people and CI, not bots retrying in step, and every
        // millisecond of wait lets more commits pile up for the next fetch to bring, which
        // widens the window between reading the head and pushing. The jitter still
        // desynchronises two writers that keep colliding.
        baseDelayMs: 20,
        maxDelayMs: 1000,
        ...(signal ? { signal } : {}),
        onConflict: (n, delayMs) =>
          log.info(
            { database: a.database, attempt: n, delayMs },
            'autoscaler push lost a race; re-deciding on the new head',
          ),
      });
    } catch (err) {
      // Network or auth: the decision stays persisted and the next round tries again.
      const message = formatError(err);
      setCondition(
        rec.conditions,
        this.deps.clock.now(),
        Cond.AutoscalerCommitFailed,
        'True',
        Reason.SourceError,
        message,
      );
      log.warn({ database: a.database, err: message }, 'autoscaler commit failed; will retry');
      return;
    }
    const now = this.deps.clock.now();
    if (!out.ok) {
      // The decision stays persisted: the next round tries the same file again (one decision,
      // one name), after deciding again on the head it finds then.
      last.message = `not landed after ${out.attempts} tries (${out.why}); trying again next round`;
      setCondition(
        rec.conditions,
        now,
        Cond.AutoscalerCommitFailed,
        'True',
        Reason.CommitConflicts,
        last.message,
      );
    } else if (out.value.kind === 'refused') {
      rec.stage = 'idle';
      last.result = 'Failed';
      last.message = out.value.message;
      setCondition(
        rec.conditions,
        now,
        Cond.AutoscalerCommitFailed,
        'True',
        Reason.CommitRefused,
        out.value.message,
      );
    } else if (out.value.kind === 'superseded') {
      rec.stage = 'idle';
      last.result = 'Superseded';
      last.message = out.value.message;
      clearCondition(rec.conditions, Cond.AutoscalerCommitFailed);
    } else {
      rec.stage = 'landing';
      rec.pushedAt = now;
      last.commit = out.value.revision;
      last.result = last.branch ? 'AwaitingMerge' : 'Committed';
      clearCondition(rec.conditions, Cond.AutoscalerCommitFailed);
      if (last.branch) {
        const msg = `${last.file} waits on branch ${last.branch} for a merge`;
        setCondition(
          rec.conditions,
          now,
          Cond.AutoscalerAwaitingMerge,
          'True',
          Reason.ReviewBranchPushed,
          msg,
        );
      }
      log.info(
        { database: a.database, commit: last.commit, branch: last.branch, attempts: last.attempts },
        'autoscaler decision committed',
      );
    }
    await host.save();
    if (out.ok && out.value.kind === 'committed') {
      this.deps.crashHook?.('autoscale:commit:after');
      if (!last.branch) host.refresh();
    }
  }

  /** One try: read the head, decide again there, write the file, commit on that head. */
  private async attempt(
    rec: AutoscalerRecord,
    a: Autoscaler,
    usage: VolumeUsage[],
    signal?: AbortSignal,
  ): Promise<Attempt<Outcome>> {
    const last = rec.lastDecision!;
    rec.commitAttempts++;
    last.attempts++;
    const snap = await this.deps.source.fetch(signal);
    // Pushed before a crash (or by a twin): the file on the head is the decision, done.
    if (!last.branch && snap.files.some((f) => f.path === last.file)) {
      return { done: true, value: { kind: 'committed', revision: snap.revision, existed: true } };
    }
    const head = loadDesiredState({ files: snap.files, revision: snap.revision });
    const db = head.databases.get(a.database);
    const now = db?.autoscalers.find((x) => x.name === a.name);
    if (!db || !now) {
      const gone = `the autoscaler or its database is gone at ${snap.revision.slice(0, 12)}`;
      return { done: true, value: { kind: 'superseded', message: gone } };
    }
    const d = decide({
      autoscaler: now,
      currentBytes: db.spec.storageBytes,
      usage,
      database: { present: true, halted: db.spec.halted, ready: true },
      expansionInFlight: false,
      cooldownMs: 0,
      now: this.deps.clock.now(),
    });
    if (d.action !== 'expand') {
      const why = `at ${snap.revision.slice(0, 12)}: ${d.message}`;
      return { done: true, value: { kind: 'superseded', message: why } };
    }
    const at = rec.decidedAt ?? this.deps.clock.now();
    const file = decisionFile(d, now, db.spec.kind, at);
    Object.assign(last, decisionStatus(d, at, file.path, last.branch), {
      attempts: last.attempts,
    });
    const res = await this.deps.source.commit({
      files: [{ path: file.path, content: file.text }],
      message: commitMessage(d, now),
      author: { ...this.deps.author, timestamp: at },
      parent: snap.revision,
      ...(last.branch ? { branch: last.branch } : {}),
      ...(this.deps.sign ? { sign: this.deps.sign } : {}),
      ...(signal ? { signal } : {}),
    });
    if (res.ok) {
      // Test hook: pushed, and the record does not know yet.
      this.deps.crashHook?.('autoscale:push:after');
      return {
        done: true,
        value: { kind: 'committed', revision: res.revision, existed: !!res.existed },
      };
    }
    if (res.reason === 'refused') {
      const message = res.hint ? `${res.message}; ${res.hint}` : res.message;
      return { done: true, value: { kind: 'refused', message } };
    }
    rec.commitConflicts++;
    return { done: false, why: `the branch kept moving` };
  }

  /** Samples the volumes (what `decide` reads) and, when due, the database-reported sizes. */
  private async sample(rec: AutoscalerRecord, database: string): Promise<VolumeUsage[]> {
    const { runtime, clock, dataBytes } = this.deps;
    const vols = await runtime.volumeUsage(database);
    const members = vols.map(({ member, volume: v }) => ({
      member,
      usedBytes: v.usedBytes,
      capacityBytes: v.capacityBytes,
      sizeBytes: v.sizeBytes ?? v.capacityBytes,
    }));
    const now = clock.now();
    const data = dataBytes
      ? await dataSample({
          previous: rec.usage,
          database,
          now,
          intervalMs: this.deps.dataIntervalMs ?? defaultDataIntervalMs,
          runtime,
          read: dataBytes,
          log: this.deps.log,
        })
      : undefined;
    rec.usage = {
      sampledAt: new Date(now).toISOString(),
      ...(data?.at ? { dataSampledAt: data.at } : {}),
      members: members.map((m) => {
        const n = data?.bytes.get(m.member);
        return n === undefined ? m : { ...m, dataBytes: n };
      }),
    };
    return members;
  }

  private boundCondition(rec: AutoscalerRecord, d: Decision): void {
    if (d.action === 'none' && d.reason === 'AtUpperBound') {
      setCondition(
        rec.conditions,
        this.deps.clock.now(),
        Cond.AutoscalerAtUpperBound,
        'True',
        Reason.UpperBoundReached,
        d.message,
      );
    } else if (d.action === 'expand' || d.reason === 'BelowThreshold') {
      clearCondition(rec.conditions, Cond.AutoscalerAtUpperBound);
    }
  }

  private mode(): 'commit' | 'review' {
    return this.deps.branchPrefix ? 'review' : 'commit';
  }

  private branchOf(database: string, at: number): string | null {
    if (!this.deps.branchPrefix) return null;
    return `${this.deps.branchPrefix}/${database}-${opsFileStamp(at)}`;
  }
}

/** What of the records must be on disk at once: which exist, their settings, decisions and conditions. */
function decisionsOf(records: Record<string, AutoscalerRecord>): string {
  return JSON.stringify(
    Object.entries(records).map(([db, r]) => [
      db,
      r.name,
      r.enabled,
      r.mode,
      r.usageThresholdPercent,
      r.stage,
      r.lastDecision,
      r.conditions,
    ]),
  );
}

function decisionStatus(
  d: Expand,
  at: number,
  file: string,
  branch: string | null,
): AutoscalerDecisionStatus {
  return {
    at: new Date(at).toISOString(),
    member: d.member,
    usedPercent: d.usedPercent,
    thresholdPercent: d.thresholdPercent,
    fromBytes: d.fromBytes,
    toBytes: d.toBytes,
    file,
    result: 'Committing',
    commit: null,
    branch,
    attempts: 0,
    message: d.message,
  };
}
