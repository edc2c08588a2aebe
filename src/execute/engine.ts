// DESIGN §3 "Execute": progress is persisted before and after every step, so a controller
// killed at any instant resumes the step it was in and never re-runs one that succeeded.
import type { OpsPhase, StepStatus } from '../api/status.js';
import { codes, formatError, retryOf, stalled } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { crashPoint, type CrashHook } from './crash-hook.js';

/** One operation and its step history; JSON-serialisable, persisted by the caller. */
export interface OperationRecord {
  /** OpsRequest name, or a derived id for spec changes. */
  id: string;
  database: string;
  type: string;
  phase: OpsPhase;
  reason: string | null;
  message: string | null;
  /** History: one entry per attempt of a step (a resume after a restart is a new attempt). */
  steps: StepStatus[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Step outputs that later steps need, persisted with the record. */
  data: Record<string, unknown>;
}

/** What a step reports: finished, or not yet (poll again after `retryAfterMs`). */
export type StepResult =
  { kind: 'done'; message?: string } | { kind: 'wait'; retryAfterMs: number; message: string };

/** A named, idempotent step: running it again after a crash must converge, never harm. */
export interface StepDef<C> {
  name: string;
  run(ctx: C, op: OperationRecord, signal: AbortSignal): Promise<StepResult>;
}

/** Side effects of the engine. `persist` must be durable (atomic write) before it resolves. */
export interface EngineDeps {
  clock: Clock;
  log: Logger;
  persist(op: OperationRecord): Promise<void>;
  crashHook?: CrashHook;
}

/** Options of one run: the per-step deadline (OpsRequest `spec.timeout`) and shutdown. */
export type RunOptions = { timeoutMs?: number; signal: AbortSignal };

/** Reasons a failed operation carries. */
export const OpReason = { Timeout: 'Timeout', StepFailed: 'StepFailed' } as const;

/** Message of an attempt that re-runs a step the controller was in when it died. */
export const resumedMessage = 'resumed after restart';
/** Message given to the attempt that was cut short by the controller's death. */
export const interruptedMessage = 'interrupted: the controller stopped during this step';

// Transient errors: 1 s doubling to 30 s, within the step's deadline.
const [backoffFirstMs, backoffMaxMs] = [1_000, 30_000];
// setTimeout fires at once above 2^31-1 ms: longer sleeps are cut, longer deadlines unarmed.
const maxTimerMs = 2 ** 31 - 1;

/** True for phases an operation never leaves. */
export function isTerminal(phase: OpsPhase): boolean {
  return phase === 'Successful' || phase === 'Failed' || phase === 'Skipped';
}

type Outcome =
  | { kind: 'done'; message?: string }
  | { kind: 'failed'; reason: string; message: string }
  | { kind: 'aborted' };
type Race =
  StepResult | { kind: 'error'; error: unknown } | { kind: 'timeout' } | { kind: 'aborted' };

/**
 * Runs `op` to completion and returns the new record (the input is not modified). Returns at
 * once for a terminal record; returns with the step left Running when `signal` aborts, so
 * the next run resumes it. Rejects when `persist` fails or step names repeat.
 */
export async function runOperation<C>(
  op: OperationRecord,
  steps: StepDef<C>[],
  ctx: C,
  opts: RunOptions,
  deps: EngineDeps,
): Promise<OperationRecord> {
  if (new Set(steps.map((s) => s.name)).size !== steps.length) {
    throw stalled(codes.internal, `operation ${op.type} has duplicate step names`);
  }
  const rec = structuredClone(op);
  if (isTerminal(rec.phase) || opts.signal.aborted) return rec;
  const { clock, log } = deps;
  const iso = () => new Date(clock.now()).toISOString();
  const save = () => deps.persist(structuredClone(rec));
  const at = { op: rec.id, database: rec.database, type: rec.type };
  if (rec.phase === 'Pending') {
    Object.assign(rec, { phase: 'Progressing', startedAt: iso(), reason: null, message: null });
    await save();
    log.info(at, 'operation started');
  }
  for (const step of steps) {
    if (rec.steps.some((s) => s.name === step.name && s.phase === 'Succeeded')) continue;
    if (opts.signal.aborted) return rec;
    const resumed = closeInterrupted(rec, step.name, iso());
    const entry: StepStatus = {
      name: step.name,
      phase: 'Running',
      startedAt: iso(),
      finishedAt: null,
      message: resumed ? resumedMessage : null,
    };
    rec.steps.push(entry);
    await save();
    log.info({ ...at, step: step.name, resumed }, 'step started');
    deps.crashHook?.(crashPoint(rec.type, step.name, 'before'));
    const outcome = await attempt(step, { ctx, rec, entry, opts, clock }, save);
    if (outcome.kind === 'aborted') {
      log.info({ ...at, step: step.name }, 'operation paused by shutdown, the step resumes later');
      return rec;
    }
    entry.finishedAt = iso();
    if (outcome.kind === 'failed') {
      Object.assign(entry, { phase: 'Failed', message: outcome.message });
      const { reason, message } = outcome;
      Object.assign(rec, { phase: 'Failed', reason, message, finishedAt: entry.finishedAt });
      await save();
      log.warn({ ...at, step: step.name, reason: outcome.reason }, outcome.message);
      return rec;
    }
    entry.phase = 'Succeeded';
    const said = [resumed ? resumedMessage : '', outcome.message ?? ''].filter(Boolean);
    entry.message = said.length > 0 ? said.join(': ') : null;
    await save();
    log.info({ ...at, step: step.name }, 'step succeeded');
    deps.crashHook?.(crashPoint(rec.type, step.name, 'after'));
  }
  Object.assign(rec, { phase: 'Successful', finishedAt: iso(), reason: null, message: null });
  await save();
  log.info(at, 'operation succeeded');
  return rec;
}

/**
 * Marks every Running entry (a controller died in it) Failed as interrupted. Returns true
 * when one of them was `step`, i.e. this run resumes it.
 */
function closeInterrupted(rec: OperationRecord, step: string, now: string): boolean {
  let resumed = false;
  for (const s of rec.steps) {
    if (s.phase !== 'Running') continue;
    resumed ||= s.name === step;
    Object.assign(s, { phase: 'Failed', finishedAt: now, message: interruptedMessage });
  }
  return resumed;
}

/**
 * Runs one attempt of a step until the deadline: polls on `wait` and on waiting errors, backs
 * off on transient ones, and fails on stalled ones (`retryOf`).
 */
async function attempt<C>(
  step: StepDef<C>,
  run: { ctx: C; rec: OperationRecord; entry: StepStatus; opts: RunOptions; clock: Clock },
  save: () => Promise<void>,
): Promise<Outcome> {
  const { entry, opts, clock } = run;
  // A per-step deadline counted from this attempt: a controller that was down for longer
  // than the timeout must not fail the step it resumes without trying it.
  const deadline = opts.timeoutMs === undefined ? Infinity : clock.now() + opts.timeoutMs;
  let backoff = backoffFirstMs;
  let note: string | undefined;
  for (;;) {
    const r: Race =
      clock.now() >= deadline
        ? { kind: 'timeout' }
        : await race(step, run, deadline - clock.now(), opts.signal);
    if (r.kind === 'aborted' || r.kind === 'done') return r;
    if (r.kind === 'timeout') {
      const within = `step ${step.name} did not finish within ${(opts.timeoutMs ?? 0) / 1000}s`;
      return {
        kind: 'failed',
        reason: OpReason.Timeout,
        message: `${within}${note ? `: ${note}` : ''}`,
      };
    }
    let delay: number;
    if (r.kind === 'wait') {
      [delay, note, backoff] = [r.retryAfterMs, r.message, backoffFirstMs];
    } else {
      const retry = retryOf(r.error);
      if (retry.kind === 'stalled') {
        return { kind: 'failed', reason: OpReason.StepFailed, message: formatError(r.error) };
      }
      if (retry.kind === 'waiting') {
        [delay, note] = [retry.afterMs, formatError(r.error)];
      } else {
        [delay, backoff] = [backoff, Math.min(backoff * 2, backoffMaxMs)];
        note = `retrying in ${delay / 1000}s after: ${formatError(r.error)}`;
      }
    }
    if (entry.message !== note) {
      entry.message = note;
      await save();
    }
    const ms = Math.max(0, Math.min(delay, deadline - clock.now(), maxTimerMs));
    const slept = clock.sleep(ms, opts.signal).then(
      () => true,
      () => false,
    );
    if (!(await unlessAborted(slept, opts.signal))) return { kind: 'aborted' };
  }
}

/** Runs the step against the deadline and shutdown; a step left behind is told to stop. */
async function race<C>(
  step: StepDef<C>,
  { ctx, rec, clock }: { ctx: C; rec: OperationRecord; clock: Clock },
  remainingMs: number,
  signal: AbortSignal,
): Promise<Race> {
  const stepAbort = new AbortController();
  const timer = new AbortController();
  // The executor also catches a step that throws before returning its promise.
  const run = new Promise<StepResult>((resolve) => resolve(step.run(ctx, rec, stepAbort.signal)));
  const contenders: Promise<Race>[] = [
    run.catch((error: unknown): Race => ({ kind: 'error', error })),
  ];
  if (remainingMs <= maxTimerMs) {
    const never = new Promise<Race>(() => undefined);
    contenders.push(
      clock.sleep(remainingMs, timer.signal).then(
        (): Race => ({ kind: 'timeout' }),
        () => never,
      ),
    );
  }
  try {
    const r = (await unlessAborted(Promise.race(contenders), signal)) ?? { kind: 'aborted' };
    if (r.kind === 'timeout' || r.kind === 'aborted') stepAbort.abort(new Error(r.kind));
    return r;
  } finally {
    timer.abort();
  }
}

/** Settles with `work`, or with undefined as soon as `signal` aborts (at once if it has). */
async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
