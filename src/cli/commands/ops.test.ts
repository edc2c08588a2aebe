import { describe, expect, it } from 'vitest';
import type { OpsRequestStatus } from '../../api/status.js';
import { renderOps } from './ops.js';

const op = (over: Partial<OpsRequestStatus>): OpsRequestStatus => ({
  name: 'o',
  database: 'cache',
  type: 'Reconfigure',
  phase: 'Pending',
  file: 'ops/o.yaml',
  digest: 'd',
  origin: 'OpsRequest',
  revision: null,
  position: null,
  reason: null,
  message: null,
  createdAt: '2026-11-21T10:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  steps: [],
  ...over,
});

// Two minutes and 3.4 s after the operations below started.
const now = Date.parse('2026-11-21T10:02:03.400Z');

describe('renderOps', () => {
  it('shows phase, queue position, duration, and the steps of running and failed ones', () => {
    const ops = [
      op({
        name: 'grow',
        type: 'VolumeExpansion',
        phase: 'Progressing',
        startedAt: '2026-11-21T10:00:00.000Z',
        steps: [
          {
            name: 'expand:cache-0',
            phase: 'Succeeded',
            startedAt: 'x',
            finishedAt: 'y',
            message: 'capacity 2Gi',
          },
          {
            name: 'expand:cache-1',
            phase: 'Running',
            startedAt: 'x',
            finishedAt: null,
            message: null,
          },
        ],
      }),
      op({
        name: 'lru',
        position: 1,
        message: 'waiting for grow to finish (position 1 in the queue)',
      }),
      op({
        name: 'bad',
        phase: 'Failed',
        origin: 'SpecChange',
        startedAt: '2026-11-21T10:00:00.000Z',
        finishedAt: '2026-11-21T10:00:01.500Z',
        message: 'redis rejects "maxmemory"',
        steps: [
          {
            name: 'validate',
            phase: 'Failed',
            startedAt: 'x',
            finishedAt: 'y',
            message: 'redis rejects "maxmemory"',
          },
        ],
      }),
    ];
    const text = renderOps(ops, now);
    // Running: its time so far, up to `now`; finished: start to end, whatever `now` is.
    expect(text).toMatch(/grow\s+cache\s+VolumeExpansion\s+OpsRequest\s+Progressing\s+123\.4s\n/);
    expect(text).toMatch(/lru\s+cache\s+Reconfigure\s+OpsRequest\s+Pending\s+1\s+waiting for grow/);
    expect(text).toMatch(/bad\s+cache\s+Reconfigure\s+SpecChange\s+Failed\s+1\.5s\s+redis rejects/);
    expect(text).toContain(
      'grow steps:\n  Succeeded expand:cache-0: capacity 2Gi\n  Running   expand:cache-1',
    );
    expect(text).toContain('bad steps:\n  Failed    validate: redis rejects "maxmemory"');
  });

  it('says so when there are none', () => expect(renderOps([], now)).toBe('no operations\n'));
});
