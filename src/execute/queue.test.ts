import { describe, expect, it } from 'vitest';
import type { OpsPhase } from '../api/status.js';
import { newOperation, nextOperation, waitingForReady, type QueuedOperation } from './queue.js';

const t0 = Date.UTC(2026, 0, 1);

function q(id: string, phase: OpsPhase, apply: 'IfReady' | 'Always' = 'IfReady'): QueuedOperation {
  return { op: { ...newOperation({ id, database: 'cache', type: 'Restart' }, t0), phase }, apply };
}

describe('newOperation', () => {
  it('creates a Pending record with no history', () => {
    expect(newOperation({ id: 'a', database: 'cache', type: 'Restart' }, t0)).toEqual({
      id: 'a',
      database: 'cache',
      type: 'Restart',
      phase: 'Pending',
      reason: null,
      message: null,
      steps: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      finishedAt: null,
      data: {},
    });
  });
});

describe('nextOperation', () => {
  const behind = (ahead: string, n: number) =>
    `waiting for ${ahead} to finish (position ${n} in the queue)`;
  it.each([
    { title: 'empty queue', queue: [], ready: true, next: undefined, waiting: [] },
    {
      title: 'the oldest Pending goes, the others wait in arrival order',
      queue: [q('a', 'Pending'), q('b', 'Pending'), q('c', 'Pending')],
      ready: true,
      next: 'a',
      waiting: [
        { id: 'b', position: 1, message: behind('a', 1) },
        { id: 'c', position: 2, message: behind('a', 2) },
      ],
    },
    {
      title: 'a Progressing one goes before an older Pending one',
      queue: [q('a', 'Pending'), q('b', 'Progressing'), q('c', 'Pending')],
      ready: true,
      next: 'b',
      waiting: [
        { id: 'a', position: 1, message: behind('b', 1) },
        { id: 'c', position: 2, message: behind('b', 2) },
      ],
    },
    {
      title: 'terminal operations are ignored',
      queue: [
        q('a', 'Successful'),
        q('b', 'Failed'),
        q('c', 'Skipped'),
        q('d', 'Pending'),
        q('e', 'Pending'),
      ],
      ready: true,
      next: 'd',
      waiting: [{ id: 'e', position: 1, message: behind('d', 1) }],
    },
    {
      title: 'only terminal operations: nothing to do',
      queue: [q('a', 'Successful'), q('b', 'Failed')],
      ready: false,
      next: undefined,
      waiting: [],
    },
    {
      title: 'IfReady waits while the database is not Ready',
      queue: [q('a', 'Pending'), q('b', 'Pending')],
      ready: false,
      next: undefined,
      waiting: [
        { id: 'a', position: 1, message: waitingForReady },
        { id: 'b', position: 2, message: waitingForReady },
      ],
    },
    {
      title: 'Always goes while the database is not Ready, ahead of blocked IfReady ones',
      queue: [q('a', 'Pending'), q('b', 'Pending', 'Always'), q('c', 'Pending', 'Always')],
      ready: false,
      next: 'b',
      waiting: [
        { id: 'c', position: 1, message: behind('b', 1) },
        { id: 'a', position: 2, message: waitingForReady },
      ],
    },
    {
      title: 'a Progressing IfReady one goes on while the database is not Ready',
      queue: [q('a', 'Progressing'), q('b', 'Pending'), q('c', 'Pending', 'Always')],
      ready: false,
      next: 'a',
      waiting: [
        { id: 'c', position: 1, message: behind('a', 1) },
        { id: 'b', position: 2, message: waitingForReady },
      ],
    },
    {
      title: 'Ready database: arrival order, whatever the apply policy',
      queue: [q('a', 'Pending'), q('b', 'Pending', 'Always')],
      ready: true,
      next: 'a',
      waiting: [{ id: 'b', position: 1, message: behind('a', 1) }],
    },
  ])('$title', ({ queue, ready, next, waiting }) => {
    const view = nextOperation(queue, ready);
    expect(view.next?.id).toBe(next);
    expect(view.waiting).toEqual(waiting);
  });

  it('never lets two operations of a database progress at once', () => {
    const queue = [q('a', 'Progressing'), q('b', 'Pending', 'Always')];
    for (const ready of [true, false]) {
      expect(nextOperation(queue, ready).next?.id).toBe('a');
    }
  });
});
