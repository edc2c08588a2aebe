import type { EffectiveDatabase, OpsRequest } from '../api/desired.js';
import { newOperation } from '../execute/queue.js';
import type { StoredOp } from './derive.js';
import type { ControllerState, DatabaseRecord } from './store.js';

/**
 * The operations ledger in the controller state: OpsRequests as they arrive from Git, the
 * order in which a database's operations are served, and which ones are immutable.
 */

/** Digests of OpsRequests that started: an edit of one is reported, not applied. */
export function executedDigests(state: ControllerState): Map<string, string> {
  return new Map(
    Object.values(state.operations)
      .filter((o) => o.source === 'OpsRequest' && o.phase !== 'Pending' && o.digest)
      .map((o) => [o.id, o.digest!]),
  );
}

/**
 * Records the OpsRequests of a revision: new ones enter as Pending, Pending ones follow edits
 * (they have not started), started ones never change; a Pending one whose file is gone is
 * Skipped.
 */
export function recordOpsRequests(
  state: ControllerState,
  ops: OpsRequest[],
  now: number,
  held: ReadonlySet<string> = new Set(),
): void {
  const inGit = new Set(ops.map((o) => o.name));
  for (const op of ops) {
    const known = state.operations[op.name];
    if (known && known.phase !== 'Pending') continue;
    state.operations[op.name] = {
      ...(known ?? newOperation({ id: op.name, database: op.database, type: op.type }, now)),
      database: op.database,
      type: op.type,
      source: 'OpsRequest',
      file: op.origin.file,
      digest: op.digest,
      revision: op.origin.commit ?? state.revision,
      apply: op.apply,
      timeoutMs: op.timeoutMs ?? null,
      request: op,
      target: null,
      targetKey: null,
      position: known?.position ?? null,
      noted: false,
    };
  }
  for (const o of Object.values(state.operations)) {
    // A database held at its last good revision (invalid or denied) keeps its queue.
    if (
      o.source === 'OpsRequest' &&
      o.phase === 'Pending' &&
      !inGit.has(o.id) &&
      !held.has(o.database)
    ) {
      end(o, now, 'Removed', 'the OpsRequest file was removed before the operation started');
    }
  }
}

/** A database's operations in arrival order: OpsRequests by file path, then derived ones. */
export function opsOf(state: ControllerState, database: string): StoredOp[] {
  const all = Object.values(state.operations).filter((o) => o.database === database);
  const explicit = all
    .filter((o) => o.source === 'OpsRequest')
    .sort((a, b) => (a.file ?? '').localeCompare(b.file ?? ''));
  const derived = all
    .filter((o) => o.source === 'SpecChange')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return [...explicit, ...derived];
}

/** A database created with its OpsRequests already folded in: they have nothing left to do. */
export function skipPendingAtCreation(state: ControllerState, database: string, now: number): void {
  for (const o of opsOf(state, database).filter((x) => x.phase === 'Pending')) {
    end(
      o,
      now,
      'AppliedAtCreation',
      'the database was created with this change already in its spec',
    );
  }
}

/**
 * A database whose manifest was removed: its queued operations are Skipped, one that was
 * running is Failed (it stopped halfway; nothing resumes it for a halted database).
 */
export function endOpsOfRemoved(state: ControllerState, database: string, now: number): void {
  for (const o of opsOf(state, database)) {
    if (o.phase === 'Pending')
      end(o, now, 'DatabaseRemoved', 'the database was removed before the operation started');
    if (o.phase === 'Progressing') {
      end(o, now, 'DatabaseRemoved', 'the database was removed while the operation ran', 'Failed');
    }
  }
}

function end(
  o: StoredOp,
  now: number,
  reason: string,
  message: string,
  phase: 'Skipped' | 'Failed' = 'Skipped',
): void {
  Object.assign(o, {
    phase,
    reason,
    message,
    finishedAt: new Date(now).toISOString(),
    position: null,
  });
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
