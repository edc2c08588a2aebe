/**
 * Policies x one database's change -> verdicts. Pure: the clock is an argument, CEL programs
 * were compiled at load time, and a failing expression is a verdict, never an exception.
 */
import type { DatabaseSpec } from '../api/desired.js';
import type { PlannedOperation } from '../plan/planned-operation.js';
import { celSubject } from './cel-rule.js';
import type { CelSubject } from './cel-rule.js';
import { checkCel } from './cel-rule.js';
import { matches } from './match.js';
import { policyLabel } from './policy.js';
import type { Policy } from './policy.js';
import { checkTyped } from './rules.js';
import type { Finding } from './rules.js';
import { checkWindows } from './windows.js';
import type { WindowPolicy } from './windows.js';

/** What the policies judge: a database's new spec, its labels, its last spec, its operations. */
export interface PolicySubject {
  database: DatabaseSpec;
  /** The database's metadata.labels. */
  labels: Record<string, string>;
  /** The spec before the change, or null for a new database. */
  before: DatabaseSpec | null;
  operations: PlannedOperation[];
}

/** One policy's word on the subject: deny it, or make an operation wait for a window. */
export interface Verdict {
  policy: string;
  file: string;
  line: number;
  database: string;
  effect: 'deny' | 'wait';
  /** `policy <name> (<file>:<line>): what is wrong; what to do`. */
  message: string;
  /** index in subject.operations, when the verdict is about one operation */
  operation?: number;
  /** change windows: when the next window opens (epoch ms) */
  opensAt?: number;
}

const isWindow = (p: Policy): p is WindowPolicy => p.rule.type === 'changeWindow';

function verdict(p: Policy, database: string, f: Finding, effect: Verdict['effect']): Verdict {
  const v: Verdict = {
    policy: p.name,
    file: p.file,
    line: p.line,
    database,
    effect,
    message: `${policyLabel(p)}: ${f.message}`,
  };
  if (f.operation !== undefined) v.operation = f.operation;
  return v;
}

/**
 * Evaluates every policy that matches the subject's database, in the order of `policies`,
 * change windows last. Returns no verdict when the change is allowed. `now` is epoch ms from
 * the caller's clock. Pure.
 */
export function evaluatePolicies(
  policies: readonly Policy[],
  subject: PolicySubject,
  now: number,
): Verdict[] {
  const name = subject.database.name;
  const mine = policies.filter((p) => matches(p.match, subject.database, subject.labels));
  const out: Verdict[] = [];
  let cel: CelSubject | undefined;
  for (const p of mine) {
    const rule = p.rule;
    if (rule.type === 'changeWindow') continue;
    let findings: Finding[];
    if (rule.type === 'cel') {
      cel ??= celSubject(subject.database, subject.labels, subject.before, subject.operations);
      findings = checkCel({ ...p, rule }, cel);
    } else findings = checkTyped({ ...p, rule }, subject);
    for (const f of findings) out.push(verdict(p, name, f, 'deny'));
  }
  for (const w of checkWindows(mine.filter(isWindow), subject.operations, now)) {
    const f = { message: w.message, operation: w.operation };
    const v = verdict(w.policy, name, f, w.opensAt === null ? 'deny' : 'wait');
    if (w.opensAt !== null) v.opensAt = w.opensAt;
    out.push(v);
  }
  return out;
}
