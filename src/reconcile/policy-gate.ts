/**
 * The policies at apply time (DESIGN §6): a commit pushed without a pull request meets the
 * same rules as `dbops plan`. A database whose change a policy denies is not changed: it is
 * held at its last good revision like a database with invalid manifests, with an error that
 * names the rule; the rest of the revision goes on. A change window that is closed delays an
 * operation (it stays Pending) instead of failing it. Pure.
 */
import type { ManifestError } from '../api/manifest-error.js';
import { isTerminal } from '../execute/engine.js';
import { codes } from '../errors.js';
import type { DesiredState } from '../manifests/load.js';
import { planOne, planOperations } from '../plan/operations.js';
import { evaluatePolicies, type Verdict } from '../policy/evaluate.js';
import type { LoadedPolicies } from '../policy/load.js';
import type { StoredOp } from './derive.js';
import type { ControllerState, DatabaseRecord } from './store.js';

/** A denial as a manifest error: at the file that asks for the change, naming the rule. */
function denial(
  database: string,
  v: Verdict,
  at: { file: string; line?: number },
  operations: readonly { file: string }[],
): ManifestError {
  const file = v.operation === undefined ? at.file : (operations[v.operation]?.file ?? at.file);
  return {
    code: codes.policyDenied,
    file,
    line: file === at.file ? (at.line ?? 1) : 1,
    column: 1,
    field: '',
    message: `${v.message}; the database stays as it is`,
    database,
  };
}

/**
 * Judges a newly loaded revision against the controller's records: every database's target,
 * the spec it runs at and the operations it would get. Databases a policy denies, and every
 * database when the policy files themselves are invalid, move to `invalid`, and their
 * OpsRequests and autoscalers are left out. Returns the revision unchanged when all pass.
 */
export function judgeRevision(
  desired: DesiredState,
  state: ControllerState,
  policies: LoadedPolicies,
  now: number,
): DesiredState {
  const denied = new Map<string, ManifestError[]>();
  const broken = policies.errors[0];
  for (const [name, eff] of desired.databases) {
    if (broken) {
      denied.set(name, [
        {
          ...broken,
          code: codes.policyDenied,
          message: `the policy files are invalid (${policies.errors.length} error(s), first: ${broken.file}:${broken.line} ${broken.message}): no database changes until they are fixed`,
          database: name,
        },
      ]);
      continue;
    }
    const applied = state.databases[name]?.applied ?? null;
    const pending = eff.ops.filter((o) => {
      const known = state.operations[o.name];
      return !known || !isTerminal(known.phase);
    });
    const operations = applied
      ? planOperations({ applied, target: eff.spec, file: eff.origin.file, pending }).operations
      : [];
    const verdicts = evaluatePolicies(
      policies.policies,
      { database: eff.spec, labels: eff.labels, before: applied, operations },
      now,
    ).filter((v) => v.effect === 'deny');
    if (verdicts.length > 0)
      denied.set(
        name,
        verdicts.map((v) => denial(name, v, eff.origin, operations)),
      );
  }
  if (denied.size === 0 && policies.errors.length === 0) return desired;
  const databases = new Map([...desired.databases].filter(([n]) => !denied.has(n)));
  const invalid = new Map(desired.invalid);
  for (const [n, errs] of denied) invalid.set(n, [...(invalid.get(n) ?? []), ...errs]);
  return {
    ...desired,
    databases,
    invalid,
    errors: [...desired.errors, ...policies.errors, ...[...denied.values()].flat()],
    warnings: [...desired.warnings, ...policies.warnings],
    // A broken policy file concerns no database: a missing one may not be removed either.
    incomplete: desired.incomplete || policies.errors.length > 0,
    opsRequests: desired.opsRequests.filter((o) => !denied.has(o.database)),
    autoscalers: desired.autoscalers.filter((a) => !denied.has(a.database)),
  };
}

/** Why an operation may not start yet, and when to look again. */
export interface WindowWait {
  message: string;
  afterMs: number;
}

/**
 * Asks the change windows about one operation before it starts, against the spec the
 * database runs at: undefined when it may start, else why it waits and until when.
 */
export function windowWait(
  op: StoredOp,
  rec: DatabaseRecord,
  desired: DesiredState | undefined,
  policies: LoadedPolicies,
  now: number,
): WindowWait | undefined {
  const eff = desired?.databases.get(rec.name);
  if (!eff || !rec.applied || policies.policies.length === 0) return undefined;
  const input = op.request
    ? { type: op.type, request: op.request }
    : op.target
      ? { type: op.type, target: op.target }
      : undefined;
  if (!input) return undefined;
  const planned = planOne(input, rec.applied, {
    source: op.source,
    name: op.source === 'OpsRequest' ? op.id : null,
    file: op.file ?? eff.origin.file,
  });
  const waits = evaluatePolicies(
    policies.policies,
    { database: eff.spec, labels: eff.labels, before: rec.applied, operations: [planned] },
    now,
  ).filter((v) => v.effect === 'wait');
  if (waits.length === 0) return undefined;
  // Every window must be open: wait for the one that opens last.
  const opensAt = Math.max(...waits.map((v) => v.opensAt ?? now + 60_000));
  return {
    // Each message says when its window opens.
    message: `waits for a change window: ${waits.map((v) => v.message).join('; ')}`,
    // Looked at again at the opening, or within an hour (a timer cannot wait for days).
    afterMs: Math.min(3_600_000, Math.max(1_000, opensAt - now)),
  };
}
