import { describe, expect, it } from 'vitest';
import { codes, formatError, stalled, waiting, transient } from '../errors.js';
import { ManualClock } from '../platform/clock.js';
import { silentLogger } from '../platform/logger.js';
import { interruptedMessage, resumedMessage, runOperation } from './engine.js';
import type { OperationRecord, RunOptions, StepDef, StepResult } from './engine.js';
import { newOperation } from './queue.js';

/** A manual clock that knows its live sleeps, so a test can jump to the next one. */
class TestClock extends ManualClock {
  readonly sleeps: number[] = [];
  private live = new Set<{ at: number }>();
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const w = { at: this.now() + ms };
    this.sleeps.push(ms);
    this.live.add(w);
    signal?.addEventListener('abort', () => this.live.delete(w), { once: true });
    return super.sleep(ms).then(() => void this.live.delete(w));
  }
  nextWake(): number | undefined {
    const ats = [...this.live].map((w) => w.at);
    return ats.length ? Math.min(...ats) : undefined;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `p` to the end, moving the clock to each next sleeper whenever the engine waits. */
async function drive<T>(clock: TestClock, p: Promise<T>): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 500; i++) {
    await flush();
    if (settled) return p;
    const at = clock.nextWake();
    if (at === undefined) throw new Error('the engine waits for nothing the clock can end');
    clock.advance(at - clock.now());
  }
  throw new Error('the operation did not settle');
}

type Script = (StepResult | Error | 'hang')[];
/** A step that plays its script, one entry per call (the last one repeats). */
function step(name: string, script: Script, calls: string[]): StepDef<null> {
  let i = 0;
  return {
    name,
    run: (_ctx, _op, signal) => {
      calls.push(name);
      const next = script[Math.min(i++, script.length - 1)] ?? { kind: 'done' };
      if (next === 'hang') {
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('stopped'))),
        );
      }
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
}

const t0 = Date.UTC(2026, 0, 1);
const done: StepResult = { kind: 'done' };
const wait = (ms: number, message = 'not yet'): StepResult => ({
  kind: 'wait',
  retryAfterMs: ms,
  message,
});
const refused = transient(codes.dbUnreachable, 'connection refused');
const missing = stalled(codes.prerequisite, 'resize2fs missing', { hint: 'install e2fsprogs' });

function setup(
  scripts: Record<string, Script> | StepDef<null>[],
  opts: Partial<RunOptions> = {},
  record?: OperationRecord,
) {
  const clock = new TestClock();
  const calls: string[] = [];
  const events: string[] = [];
  const snaps: OperationRecord[] = [];
  const abort = new AbortController();
  const steps = Array.isArray(scripts)
    ? scripts
    : Object.entries(scripts).map(([n, s]) => step(n, s, calls));
  const op = record ?? newOperation({ id: 'op1', database: 'cache', type: 'Restart' }, t0);
  const deps = {
    clock,
    log: silentLogger(),
    persist: (o: OperationRecord) => {
      snaps.push(o);
      events.push(`${o.phase} ${o.steps.map((s) => `${s.name}:${s.phase}`).join(' ')}`.trim());
      return Promise.resolve();
    },
    crashHook: (p: string) => void events.push(`hook ${p}`),
  };
  const run = () => runOperation(op, steps, null, { signal: abort.signal, ...opts }, deps);
  return { clock, calls, events, snaps, abort, op, run, result: () => drive(clock, run()) };
}

describe('runOperation', () => {
  it('persists every transition before moving on, and calls the crash hook after each persist', async () => {
    const t = setup({ a: [done], b: [{ kind: 'done', message: 'grown to 2Gi' }] });
    const op = await t.result();
    expect(t.events).toEqual([
      'Progressing',
      'Progressing a:Running',
      'hook Restart:a:before',
      'Progressing a:Succeeded',
      'hook Restart:a:after',
      'Progressing a:Succeeded b:Running',
      'hook Restart:b:before',
      'Progressing a:Succeeded b:Succeeded',
      'hook Restart:b:after',
      'Successful a:Succeeded b:Succeeded',
    ]);
    expect(op).toEqual(t.snaps.at(-1));
    expect(op).toMatchObject({
      phase: 'Successful',
      startedAt: '2026-01-01T00:00:00.000Z',
      reason: null,
    });
    expect(op.finishedAt).not.toBeNull();
    expect(op.steps.map((s) => s.message)).toEqual([null, 'grown to 2Gi']);
    expect(t.op.phase).toBe('Pending'); // the input record is not modified
  });

  it('resumes a step left Running as a new attempt and never re-runs Succeeded steps', async () => {
    const first = setup({ a: [done], b: ['hang'], c: [done] });
    const paused = first.run();
    await flush();
    first.abort.abort();
    const mid = await paused;
    expect(mid.steps.map((s) => `${s.name}:${s.phase}`)).toEqual(['a:Succeeded', 'b:Running']);

    const second = setup({ a: [done], b: [{ kind: 'done', message: 'ok' }], c: [done] }, {}, mid);
    const op = await second.result();
    expect(second.calls).toEqual(['b', 'c']);
    expect(second.events[0]).toBe('Progressing a:Succeeded b:Failed b:Running');
    expect(op.steps.map((s) => [s.name, s.phase, s.message])).toEqual([
      ['a', 'Succeeded', null],
      ['b', 'Failed', interruptedMessage],
      ['b', 'Succeeded', `${resumedMessage}: ok`],
      ['c', 'Succeeded', null],
    ]);
    expect(op.phase).toBe('Successful');
  });

  it.each(['Successful', 'Failed', 'Skipped'] as const)(
    'leaves a %s record alone',
    async (phase) => {
      const record = newOperation({ id: 'op1', database: 'cache', type: 'Restart' }, t0);
      const t = setup({ a: [done] }, {}, { ...record, phase });
      const op = await t.result();
      expect([op.phase, t.snaps.length, t.calls.length]).toEqual([phase, 0, 0]);
    },
  );

  const ok = ['Successful', null, null];
  const moving = (retryAfterMs: number) =>
    waiting(codes.clusterFailed, 'slots moving', retryAfterMs);
  // `saves`: snapshots persisted for step a (Running, each new message, the end).
  it.each([
    {
      title: 'wait: polled after retryAfterMs until done, one persist per new message',
      script: [wait(5000, 'capacity 1Gi'), wait(5000, 'capacity 1Gi'), wait(3000, '1.5Gi'), done],
      sleeps: [5000, 5000, 3000],
      want: ok,
      saves: 4,
    },
    {
      title: 'transient errors: backoff 1 s doubling to 30 s',
      script: [...Array<Error>(7).fill(refused), done],
      sleeps: [1000, 2000, 4000, 8000, 16000, 30000, 30000],
      want: ok,
      saves: 8,
    },
    {
      title: 'a wait resets the transient backoff',
      script: [refused, refused, wait(500), refused, done],
      sleeps: [1000, 2000, 500, 1000],
      want: ok,
    },
    {
      title: 'a waiting DbopsError is polled after its retryAfterMs',
      script: [moving(7000), moving(250), done],
      sleeps: [7000, 250],
      want: ok,
    },
    {
      title: 'wait past the per-step deadline: Timeout naming the step',
      script: [wait(5000, 'capacity 1Gi')],
      timeoutMs: 12000,
      sleeps: [12000, 5000, 7000, 5000, 2000, 2000],
      want: ['Failed', 'Timeout', 'step a did not finish within 12s: capacity 1Gi'],
      saves: 3,
    },
    {
      title: 'transient errors retried only within the deadline',
      script: [refused],
      timeoutMs: 5000,
      sleeps: [5000, 1000, 4000, 2000, 2000, 2000],
      want: [
        'Failed',
        'Timeout',
        `step a did not finish within 5s: retrying in 4s after: ${formatError(refused)}`,
      ],
    },
    {
      title: 'a step that never returns is cut at the deadline',
      script: ['hang'],
      timeoutMs: 3000,
      sleeps: [3000],
      want: ['Failed', 'Timeout', 'step a did not finish within 3s'],
      saves: 2,
    },
    {
      title: 'a stalled DbopsError fails the operation with its formatted message',
      script: [missing],
      sleeps: [],
      want: ['Failed', 'StepFailed', formatError(missing)],
      saves: 2,
    },
    {
      title: 'any other error fails the operation',
      script: [new TypeError('x is undefined')],
      timeoutMs: 60000,
      sleeps: [60000],
      want: ['Failed', 'StepFailed', 'x is undefined'],
    },
  ])('$title', async ({ script, timeoutMs, sleeps, want, saves }) => {
    const t = setup({ a: script as Script, b: [done] }, timeoutMs ? { timeoutMs } : {});
    const op = await t.result();
    expect(t.clock.sleeps).toEqual(sleeps);
    const [phase, reason, message] = want;
    expect(op).toMatchObject({ phase, reason, message });
    expect(op.steps.filter((e) => e.name === 'a').map((e) => e.phase)).toEqual([
      phase === 'Failed' ? 'Failed' : 'Succeeded',
    ]);
    if (phase === 'Failed') {
      expect(op.steps.at(-1)).toMatchObject({ name: 'a', message });
      expect([t.calls.includes('b'), op.finishedAt === null]).toEqual([false, false]);
    }
    const aSnaps = t.events.filter((e) => / a:/.test(e) && !/ b:|^hook/.test(e));
    if (saves !== undefined) expect(aSnaps).toHaveLength(saves);
    expect(t.snaps.at(-1)).toEqual(op);
  });

  it.each([
    { title: 'during a step', script: ['hang'] as Script },
    { title: 'while waiting to poll again', script: [wait(60_000)] as Script },
    { title: 'while backing off', script: [refused] as Script },
  ])('returns promptly on shutdown $title, leaving the step Running', async ({ script }) => {
    const t = setup({ a: script, b: [done] }, { timeoutMs: 600_000 });
    const running = t.run();
    await flush();
    const before = t.clock.now();
    t.abort.abort(new Error('shutdown'));
    const op = await running;
    expect(t.clock.now()).toBe(before);
    expect(op.phase).toBe('Progressing');
    expect(op.steps.map((s) => s.phase)).toEqual(['Running']);
    expect(
      t.snaps.some((s) => s.phase === 'Failed' || s.steps.some((x) => x.phase === 'Failed')),
    ).toBe(false);
    expect(t.calls).not.toContain('b');
  });

  it('does nothing when the signal is already aborted', async () => {
    const t = setup({ a: [done] });
    t.abort.abort();
    const op = await t.run();
    expect([op.phase, t.snaps.length, t.calls.length]).toEqual(['Pending', 0, 0]);
  });

  it('persists data that steps write for later steps', async () => {
    const seen: unknown[] = [];
    const t = setup([
      { name: 'failover', run: (_c, op) => ((op.data.to = 'cache-1'), Promise.resolve(done)) },
      { name: 'restart', run: (_c, op) => (seen.push(op.data.to), Promise.resolve(done)) },
    ]);
    const op = await t.result();
    expect(seen).toEqual(['cache-1']);
    expect(t.snaps[2]?.data).toEqual({ to: 'cache-1' }); // with failover's Succeeded entry
    expect(op.data).toEqual({ to: 'cache-1' });
  });

  it('rejects duplicate step names', async () => {
    const t = setup([step('a', [done], []), step('a', [done], [])]);
    await expect(t.run()).rejects.toThrow(/duplicate step names/);
  });
});
