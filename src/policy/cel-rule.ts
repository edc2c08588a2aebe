/** Custom rules: run a compiled CEL program once per database or once per operation. */
import type { DatabaseSpec } from '../api/desired.js';
import type { PlannedOperation } from '../plan/planned-operation.js';
import { celDatabase, celOperation } from './cel.js';
import type { CelDatabase, CelOutcome, CelVars } from './cel.js';
import type { Policy, Rule } from './policy.js';
import type { Finding } from './rules.js';
import { operationText } from './rules.js';

type CelRule = Extract<Rule, { type: 'cel' }>;

/** What a CEL rule sees, converted once per evaluation and shared by every CEL policy. */
export interface CelSubject {
  database: CelDatabase;
  before: CelDatabase | null;
  operations: readonly PlannedOperation[];
}

/** Converts the subject for CEL (ints as bigint); `before` gets the same labels. Pure. */
export function celSubject(
  database: DatabaseSpec,
  labels: Record<string, string>,
  before: DatabaseSpec | null,
  operations: readonly PlannedOperation[],
): CelSubject {
  return {
    database: celDatabase(database, labels),
    before: before === null ? null : celDatabase(before, labels),
    operations,
  };
}

function finding(rule: CelRule, r: CelOutcome, what: string, operation?: number): Finding[] {
  const at = operation === undefined ? {} : { operation };
  if (!r.ok)
    return [
      {
        ...at,
        message: `the CEL expression failed${what}: ${r.message}; fix the expression (check a key with has() or "in" before reading it), the change is denied until then`,
      },
    ];
  if (r.value) return [];
  const message = rule.message ?? `the CEL rule \`${rule.source}\` is false`;
  return [{ ...at, message: `${message}${what}` }];
}

/** The findings of a CEL policy. Pure; never parses the expression again. */
export function checkCel(p: Policy & { rule: CelRule }, s: CelSubject): Finding[] {
  const rule = p.rule;
  const base: CelVars = { database: s.database, before: s.before };
  if (rule.on === 'database') return finding(rule, rule.program.run(base), '');
  return s.operations.flatMap((op, i) =>
    finding(
      rule,
      rule.program.run({ ...base, operation: celOperation(op) }),
      ` for ${operationText(op)}`,
      i,
    ),
  );
}
