import { describe, expect, it } from 'vitest';
import type { OpsRequest } from '../api/desired.js';
import {
  endOpsOfRemoved,
  executedDigests,
  opsOf,
  recordOpsRequests,
  skipPendingAtCreation,
} from './ledger.js';
import { emptyState } from './store.js';

const req = (name: string, file: string, digest = 'd1'): OpsRequest => ({
  kind: 'RedisOpsRequest',
  name,
  database: 'c',
  type: 'Restart',
  origin: { file },
  digest,
  apply: 'IfReady',
});

describe('the operations ledger', () => {
  it('records OpsRequests as Pending, follows edits until they start, and orders them by file', () => {
    const state = emptyState('s', 'local');
    recordOpsRequests(state, [req('b', 'ops/2-b.yaml'), req('a', 'ops/1-a.yaml')], 0);
    expect(opsOf(state, 'c').map((o) => [o.id, o.phase])).toEqual([
      ['a', 'Pending'],
      ['b', 'Pending'],
    ]);
    recordOpsRequests(state, [req('a', 'ops/1-a.yaml', 'd2'), req('b', 'ops/2-b.yaml')], 0);
    expect(state.operations.a?.digest).toBe('d2');
    expect(executedDigests(state).size).toBe(0);
  });

  it('never changes a started OpsRequest and reports its digest as executed', () => {
    const state = emptyState('s', 'local');
    recordOpsRequests(state, [req('a', 'ops/1-a.yaml')], 0);
    state.operations.a!.phase = 'Successful';
    recordOpsRequests(state, [req('a', 'ops/1-a.yaml', 'edited')], 0);
    expect(state.operations.a).toMatchObject({ phase: 'Successful', digest: 'd1' });
    expect(executedDigests(state)).toEqual(new Map([['a', 'd1']]));
  });

  it('skips a Pending OpsRequest whose file was removed', () => {
    const state = emptyState('s', 'local');
    recordOpsRequests(state, [req('a', 'ops/1-a.yaml')], 0);
    recordOpsRequests(state, [], 1000);
    expect(state.operations.a).toMatchObject({ phase: 'Skipped', reason: 'Removed' });
  });

  it('skips what a new database was created with, and ends the operations of a removed one', () => {
    const state = emptyState('s', 'local');
    recordOpsRequests(state, [req('a', 'ops/1-a.yaml'), req('b', 'ops/2-b.yaml')], 0);
    skipPendingAtCreation(state, 'c', 0);
    expect(state.operations.a).toMatchObject({ phase: 'Skipped', reason: 'AppliedAtCreation' });
    recordOpsRequests(
      state,
      [
        req('a', 'ops/1-a.yaml'),
        req('b', 'ops/2-b.yaml'),
        req('x', 'ops/3-x.yaml'),
        req('y', 'ops/4-y.yaml'),
      ],
      0,
    );
    state.operations.x!.phase = 'Progressing';
    endOpsOfRemoved(state, 'c', 0);
    expect(state.operations.x).toMatchObject({ phase: 'Failed', reason: 'DatabaseRemoved' });
    expect(state.operations.y).toMatchObject({ phase: 'Skipped', reason: 'DatabaseRemoved' });
  });
});
