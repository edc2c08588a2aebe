import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { RuntimeEvent } from '../runtime.js';
import { isAlive } from './proc.js';

/** How a watched process ended; code and signal are null for adopted processes. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

/** What the supervisor needs from the runtime. */
export interface SupervisorDeps {
  clock: Clock;
  log: Logger;
  emit(event: RuntimeEvent): void;
  /** Persists the exit (member.json lastExit). */
  recordExit(db: string, member: string, exit: ExitInfo): Promise<void>;
  /** Starts the member again unless it is halted, unwanted or already back. */
  restart(db: string, member: string): Promise<void>;
  /**
   * The shortest wait before a restart of this member, e.g. for a Redis Cluster master that
   * has replicas: long enough for the cluster to fail over, so the member rejoins as a replica
   * instead of racing the election.
   */
  restartFloorMs?(db: string, member: string): Promise<number>;
  pollIntervalMs?: number;
}

interface Watch {
  db: string;
  member: string;
  pid: number;
  startedAt: number;
  child?: ChildProcess;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

/**
 * Watches member processes (the child's 'exit' for our own, a liveness poll for adopted ones)
 * and restarts one that died unexpectedly, with backoff 1 s doubling to 30 s, reset once a
 * member stayed up 60 s. A member is unwatched before it is stopped on purpose.
 */
export class Supervisor {
  private readonly watches = new Map<string, Watch>();
  private readonly backoff = new Map<string, number>();
  /** Members with a restart scheduled after a crash: nobody else may start them meanwhile. */
  private readonly pending = new Set<string>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: SupervisorDeps) {
    void this.poll();
  }

  /** Watches a process; `child` when we spawned it, none when adopted. Replaces any watch. */
  watch(db: string, member: string, pid: number, startedAt: number, child?: ChildProcess): void {
    if (this.abort.signal.aborted) return;
    this.unwatch(db, member);
    const w: Watch = { db, member, pid, startedAt };
    if (child) {
      w.child = child;
      w.onExit = (code, signal) => this.exited(w, code, signal);
      child.once('exit', w.onExit);
    }
    this.watches.set(key(db, member), w);
  }

  /** Stops watching a member (before stopping it on purpose). */
  unwatch(db: string, member: string): void {
    const w = this.watches.get(key(db, member));
    if (!w) return;
    if (w.child && w.onExit) w.child.off('exit', w.onExit);
    this.watches.delete(key(db, member));
  }

  /** True while a restart after a crash is scheduled for the member. */
  restartPending(db: string, member: string): boolean {
    return this.pending.has(key(db, member));
  }

  /** True when the member is watched with this pid. */
  watching(db: string, member: string, pid: number): boolean {
    return this.watches.get(key(db, member))?.pid === pid;
  }

  /** Stops every watch and pending restart; processes are left as they are. */
  close(): void {
    this.abort.abort(new Error('supervisor closed'));
    for (const w of [...this.watches.values()]) this.unwatch(w.db, w.member);
  }

  private exited(w: Watch, code: number | null, signal: string | null): void {
    const k = key(w.db, w.member);
    if (this.watches.get(k) !== w || this.abort.signal.aborted) return;
    this.unwatch(w.db, w.member);
    const at = this.deps.clock.now();
    const { delay, next } = restartBackoff(this.backoff.get(k), at - w.startedAt);
    this.backoff.set(k, next);
    void this.restartLater(w, { code, signal, at }, delay);
  }

  private async restartLater(w: Watch, exit: ExitInfo, backoffMs: number): Promise<void> {
    const floor = await this.deps.restartFloorMs?.(w.db, w.member).catch(() => 0);
    const delayMs = Math.max(backoffMs, floor ?? 0);
    const how = exit.signal
      ? `signal ${exit.signal}`
      : exit.code === null
        ? 'exit'
        : `code ${exit.code}`;
    this.deps.log.warn(
      { database: w.db, member: w.member, pid: w.pid, exit, delayMs },
      'member exited unexpectedly; restarting',
    );
    this.deps.emit({
      database: w.db,
      member: w.member,
      type: 'member-exited',
      message: `process ${w.pid} ended (${how}); restarting in ${delayMs} ms`,
    });
    const k = key(w.db, w.member);
    this.pending.add(k);
    try {
      await this.deps.recordExit(w.db, w.member, exit);
      await this.deps.clock.sleep(delayMs, this.abort.signal);
      await this.deps.restart(w.db, w.member);
      this.pending.delete(k);
    } catch (err) {
      this.pending.delete(k);
      if (this.abort.signal.aborted) return;
      this.deps.log.error({ database: w.db, member: w.member, err }, 'restart failed');
      // Retry with the next backoff step: the member is still wanted and still down.
      const { delay, next } = restartBackoff(this.backoff.get(k), 0);
      this.backoff.set(k, next);
      void this.restartLater(w, exit, delay);
    }
  }

  private async poll(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.deps.clock.sleep(this.deps.pollIntervalMs ?? 500, signal);
      } catch {
        return;
      }
      for (const w of [...this.watches.values()]) {
        if (w.child) continue;
        if (!(await isAlive(w.pid))) this.exited(w, null, null);
      }
    }
  }
}

/**
 * The delay before restarting a member that exited after `uptimeMs`, and the delay to use
 * next time: 1 s doubling to 30 s, back to 1 s once the member had stayed up 60 s. Pure.
 */
export function restartBackoff(
  current: number | undefined,
  uptimeMs: number,
): { delay: number; next: number } {
  const delay = uptimeMs >= STABLE_AFTER_MS ? FIRST_BACKOFF_MS : (current ?? FIRST_BACKOFF_MS);
  return { delay, next: Math.min(delay * 2, MAX_BACKOFF_MS) };
}

function key(db: string, member: string): string {
  return `${db}/${member}`;
}
