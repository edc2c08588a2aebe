/**
 * Cron schedules of change windows, read in UTC. The only module that imports a cron library.
 *
 * Why croner (11.0.1) and not cron-parser: croner has no dependencies (cron-parser pulls in
 * luxon, 4.5 MB on disk, for time zones we do not use), ships its own types, is maintained
 * (several releases in 2026), runs on Node >= 18, and has a "5-part" mode that refuses the
 * 6- and 7-field (seconds, years) forms instead of guessing. A schedule with both a
 * day-of-month and a day-of-week matches either of them, as in Vixie cron. A `Cron` built
 * without a callback starts no timer: here it is only a calculator fed with our `now`.
 */
import { Cron } from 'croner';

/** A parsed schedule: the first opening strictly after a time, or null when none is left. */
export interface Schedule {
  next(afterMs: number): number | null;
}

/** The outcome of reading a schedule. */
export type ScheduleResult = { ok: true; schedule: Schedule } | { ok: false; message: string };

const example =
  'write five fields in UTC: minute hour day-of-month month day-of-week, like "0 2 * * 6"';
// The "never opens" check starts here: any fixed time works, as long as it is not the clock.
const reference = Date.UTC(2000, 0, 1);

/** Reads a 5-field cron expression (UTC); fails when it is malformed or never matches. Pure. */
export function parseSchedule(text: string): ScheduleResult {
  const s = text.trim();
  if (s === '') return { ok: false, message: `the schedule is empty: ${example}` };
  // croner replaces "?" with the current time when the pattern is built: not pure.
  if (s.includes('?'))
    return { ok: false, message: `"${s}" uses "?", which is not supported: use "*" instead` };
  let cron: Cron;
  try {
    cron = new Cron(s, { mode: '5-part', timezone: 'UTC' });
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    return { ok: false, message: `"${s}" is not a cron schedule (${why}): ${example}` };
  }
  const schedule: Schedule = {
    next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() ?? null,
  };
  if (schedule.next(reference) === null)
    return {
      ok: false,
      message: `"${s}" never matches a date (such as 30 February), so the window never opens: pick a day that exists`,
    };
  return { ok: true, schedule };
}

/** One window: when it opens and how long it stays open. */
export interface WindowTimes {
  schedule: Schedule;
  durationMs: number;
}

/**
 * True when `now` falls in [opening, opening + duration) of some opening. Pure: an opening
 * in (now - duration, now] is the first one after now - duration.
 */
export function isOpen(w: WindowTimes, now: number): boolean {
  const opening = w.schedule.next(now - w.durationMs);
  return opening !== null && opening <= now;
}

/** `now` when the window is open, else its next opening (null when it never opens again). */
export function nextOpen(w: WindowTimes, now: number): number | null {
  return isOpen(w, now) ? now : w.schedule.next(now);
}
