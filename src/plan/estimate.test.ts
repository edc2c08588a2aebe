import { describe, expect, it } from 'vitest';
import { estimateDuration, type PastOperation } from './estimate.js';
import type { PlannedOperation } from './planned-operation.js';

const op = (over: Partial<PlannedOperation> = {}): PlannedOperation => ({
  database: 'cache',
  kind: 'Redis',
  type: 'Reconfigure',
  source: 'SpecChange',
  name: null,
  file: 'databases/cache.yaml',
  outcome: 'run',
  message: null,
  parameters: null,
  steps: [],
  restarts: [],
  failovers: 0,
  reversible: true,
  ...over,
});
const past: PastOperation[] = [
  { database: 'cache', kind: 'Redis', type: 'Reconfigure', members: 6, ms: 30_000 },
  { database: 'cache', kind: 'Redis', type: 'Reconfigure', members: 6, ms: 10_000 },
  { database: 'cache', kind: 'Redis', type: 'Reconfigure', members: 6, ms: 20_000 },
  { database: 'other', kind: 'Redis', type: 'Restart', members: 6, ms: 5_000 },
  { database: 'third', kind: 'Redis', type: 'Restart', members: 1, ms: 900 },
  { database: 'pg', kind: 'Postgres', type: 'Restart', members: 6, ms: 60_000 },
];

describe('estimateDuration', () => {
  it.each([
    {
      name: 'the same database and type: the median of its past runs',
      op: op(),
      members: 6,
      want: { ms: 20_000, basis: 'median of 3 past Reconfigure of cache' },
    },
    {
      name: 'else databases of the same kind and member count',
      op: op({ type: 'Restart' }),
      members: 6,
      want: { ms: 5_000, basis: 'median of 1 past Restart of Redis databases with 6 member(s)' },
    },
    {
      name: 'nothing comparable: no estimate',
      op: op({ type: 'VolumeExpansion' }),
      members: 6,
      want: undefined,
    },
    {
      name: 'an operation that will not run: no estimate',
      op: op({ outcome: 'skip' }),
      members: 6,
      want: undefined,
    },
  ])('$name', ({ op: o, members, want }) => {
    expect(estimateDuration(o, members, past)).toEqual(want);
  });
});
