/**
 * The per-database operation queue (DESIGN §3): one operation progresses per database at a
 * time, the others wait in arrival order. Pure functions over operation records.
 */
import { isTerminal, type OperationRecord } from './engine.js';

/** One operation in a database's queue with its KubeDB `apply` policy. */
export interface QueuedOperation {
  op: OperationRecord;
  /** IfReady: waits while the database is not Ready; Always: goes regardless. */
  apply: 'IfReady' | 'Always';
}

/** A Pending operation that waits: its 1-based place in line and why it waits. */
export interface WaitingOperation {
  id: string;
  position: number;
  message: string;
}

/** What the queue decides for one database. */
export interface QueueView {
  /** The operation that may progress now; undefined when none may. */
  next: OperationRecord | undefined;
  /** Every Pending operation other than `next`, in the order they will start. */
  waiting: WaitingOperation[];
}

/** Message of an IfReady operation held back because the database is not Ready. */
export const waitingForReady = 'waiting for the database to be Ready';

/** A fresh Pending record: how an operation enters its database's queue. */
export function newOperation(
  init: { id: string; database: string; type: string },
  now: number,
): OperationRecord {
  return {
    ...init,
    phase: 'Pending',
    reason: null,
    message: null,
    steps: [],
    createdAt: new Date(now).toISOString(),
    startedAt: null,
    finishedAt: null,
    data: {},
  };
}

/**
 * Decides which operation of a database may progress. `queue` holds the database's records
 * in arrival order (OpsRequest file path order; spec-derived operations by revision);
 * terminal ones are ignored. A Progressing operation goes first: it holds the database until
 * it ends, Ready or not. Otherwise the oldest Pending one that may start goes; an IfReady one
 * may start only while the database is Ready, so while it is not, Always operations go ahead
 * of blocked IfReady ones (an Always Restart can repair a database that never gets Ready).
 * Pure.
 */
export function nextOperation(queue: QueuedOperation[], databaseReady: boolean): QueueView {
  const live = queue.filter((q) => !isTerminal(q.op.phase));
  const progressing = live.find((q) => q.op.phase === 'Progressing');
  const mayStart = (q: QueuedOperation) => databaseReady || q.apply === 'Always';
  const pending = live.filter((q) => q.op.phase === 'Pending');
  // Order of service: those that may start now keep arrival order, blocked ones follow.
  const line = [...pending.filter(mayStart), ...pending.filter((q) => !mayStart(q))];
  const first = line[0];
  const next = progressing ?? (first && mayStart(first) ? first : undefined);
  const ahead = next?.op.id;
  const waiting = line
    .filter((q) => q !== next)
    .map((q, i) => ({
      id: q.op.id,
      position: i + 1,
      message:
        !mayStart(q) || ahead === undefined
          ? waitingForReady
          : `waiting for ${ahead} to finish (position ${i + 1} in the queue)`,
    }));
  return { next: next?.op, waiting };
}
