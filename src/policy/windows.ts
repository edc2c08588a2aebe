/**
 * Change windows: an operation that runs (and, for `operations: restarting`, restarts members)
 * waits until every change-window policy about it is open at the same time.
 */
import type { PlannedOperation } from '../plan/planned-operation.js';
import { either, scopeText } from './match.js';
import type { Policy, Rule } from './policy.js';
import { operationText } from './rules.js';
import { isOpen, nextOpen } from './schedule.js';

type WindowRule = Extract<Rule, { type: 'changeWindow' }>;
/** A policy whose rule is a change window. */
export type WindowPolicy = Policy & { rule: WindowRule };

/** What a window policy says about one operation: wait until `opensAt`, or never runs. */
export interface WindowFinding {
  policy: WindowPolicy;
  operation: number;
  message: string;
  /** Null when the windows are never open together again (a deny, not a wait). */
  opensAt: number | null;
}

// How far ahead a common opening is looked for (29 February comes every four years), and how
// many steps that may take (two weekly windows that never overlap take about 520).
const horizonMs = 5 * 366 * 24 * 3600 * 1000;
const maxSteps = 10_000;

const openNow = (p: WindowPolicy, t: number) => p.rule.windows.some((w) => isOpen(w, t));

function opensNext(p: WindowPolicy, t: number): number | null {
  let best: number | null = null;
  for (const w of p.rule.windows) {
    const n = nextOpen(w, t);
    if (n !== null && (best === null || n < best)) best = n;
  }
  return best;
}

/**
 * The first time at or after `now` when every policy is open, or null when there is none
 * within five years. Each step jumps to the latest next opening of the closed ones, so it only
 * moves forward. Pure.
 */
export function commonOpening(policies: readonly WindowPolicy[], now: number): number | null {
  let t = now;
  for (let step = 0; step < maxSteps && t - now <= horizonMs; step++) {
    let latest = t;
    for (const p of policies) {
      if (openNow(p, t)) continue;
      const n = opensNext(p, t);
      if (n === null) return null;
      latest = Math.max(latest, n);
    }
    if (latest === t) return t;
    t = latest;
  }
  return null;
}

const applies = (p: WindowPolicy, op: PlannedOperation) =>
  op.outcome === 'run' && (p.rule.operations === 'all' || op.restarts.length > 0);

function windowsText(p: WindowPolicy): string {
  return either(p.rule.windows.map((w) => `"${w.text}" for ${w.durationText}`));
}

/** Wait (or never-runs) findings for every operation outside a window policy. Pure. */
export function checkWindows(
  policies: readonly WindowPolicy[],
  operations: readonly PlannedOperation[],
  now: number,
): WindowFinding[] {
  const out: WindowFinding[] = [];
  operations.forEach((op, i) => {
    const mine = policies.filter((p) => applies(p, op));
    const closed = mine.filter((p) => !openNow(p, now));
    if (closed.length === 0) return;
    const opensAt = commonOpening(mine, now);
    const doing = op.restarts.length > 0 ? `restarts ${either(op.restarts, 'and')}` : 'runs';
    const others =
      mine.length > 1
        ? `; policies ${either(
            mine.map((p) => p.name),
            'and',
          )} must all be open`
        : '';
    for (const p of closed) {
      const head = `${operationText(op)} ${doing} outside the change windows${scopeText(p.match)} (UTC: ${windowsText(p)})`;
      const message =
        opensAt === null
          ? `${head}, and ${others === '' ? 'it does not open' : 'they are never open together'} within five years${others}: change the windows so that they overlap`
          : `${head}; it waits until ${new Date(opensAt).toISOString()}${others}`;
      out.push({ policy: p, operation: i, message, opensAt });
    }
  });
  return out;
}
