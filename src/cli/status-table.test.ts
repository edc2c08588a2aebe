import { describe, expect, it } from 'vitest';
import type { StatusDocument } from '../api/status.js';
import { humanBytes, renderAutoscalers, renderStatus } from './status-table.js';

describe('humanBytes', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1Ki'],
    [1536 * 1024 * 1024, '1.5Gi'],
    [1073741824, '1Gi'],
    [94208, '92Ki'],
  ])('%i -> %s', (n, want) => expect(humanBytes(n)).toBe(want));
});

describe('renderStatus', () => {
  const doc: StatusDocument = {
    apiVersion: 'dbops.dev/v1',
    revision: '0123456789abcdef0123',
    source: 'http://127.0.0.1:1/x.git',
    runtime: 'local',
    updatedAt: '2026-11-21T00:00:00.000Z',
    sourceError: null,
    conditions: [],
    errors: [
      {
        code: 'DBOPS_E_INVALID_QUANTITY',
        file: 'databases/b.yaml',
        line: 10,
        column: 18,
        field: 'spec.storage.resources.requests.storage',
        message: 'not a quantity',
        database: 'b',
      },
    ],
    databases: [
      {
        name: 'a',
        kind: 'Redis',
        mode: 'Standalone',
        phase: 'Ready',
        revision: '0123456789abcdef0123',
        version: { desired: '7.0', running: '7.0.15' },
        conditions: [],
        effective: {},
        applied: null,
        haltedForRemoval: false,
        members: [
          {
            name: 'a-0',
            role: 'master',
            endpoint: '127.0.0.1:40000',
            ready: true,
            restarts: 2,
            volume: { type: 'directory', capacityBytes: 1 << 30, usedBytes: 2048 },
          },
        ],
      },
    ],
    opsRequests: [],
    autoscalers: [],
  };

  it('shows databases, members, volumes and manifest errors with their location', () => {
    const text = renderStatus(doc);
    expect(text).toContain('revision 0123456789ab');
    expect(text).toMatch(/a\s+Redis\s+Standalone\s+Ready\s+7\.0 \(7\.0\.15\)\s+1\/1/);
    expect(text).toMatch(/a-0\s+master\s+127\.0\.0\.1:40000\s+ready\s+2Ki\/1Gi\s+restarts 2/);
    expect(text).toContain(
      'databases/b.yaml:10:18 spec.storage.resources.requests.storage: not a quantity',
    );
  });

  it('shows why a database is kept as it is (a removed file with deletionPolicy DoNotTerminate)', () => {
    const kept =
      'manifest removed but its last spec said deletionPolicy DoNotTerminate: still running';
    const a = doc.databases[0]!;
    const text = renderStatus({
      ...doc,
      databases: [
        {
          ...a,
          conditions: [
            {
              type: 'Reconciling',
              status: 'False',
              reason: 'Kept',
              message: kept,
              lastTransitionTime: doc.updatedAt,
            },
          ],
        },
      ],
    });
    expect(text).toContain(kept);
  });

  it('says when a named database does not exist', () => {
    expect(renderStatus(doc, { database: 'zz' })).toContain('no database named zz');
  });
});

describe('renderAutoscalers', () => {
  const scaler: StatusDocument['autoscalers'][number] = {
    name: 'cache-storage',
    kind: 'RedisAutoscaler',
    database: 'cache',
    enabled: true,
    usageThresholdPercent: 80,
    mode: 'review',
    conditions: [
      {
        type: 'AutoscalerAwaitingMerge',
        status: 'True',
        reason: 'ReviewBranchPushed',
        message: 'ops/x.yaml waits on branch dbops/cache-20261201-101500 for a merge',
        lastTransitionTime: '2026-12-01T10:15:00.000Z',
      },
    ],
    usage: {
      sampledAt: '2026-12-01T10:15:00.000Z',
      members: [
        { member: 'cache-0', usedBytes: 100, capacityBytes: 1000, sizeBytes: 1000 },
        { member: 'cache-1', usedBytes: 830, capacityBytes: 1000, sizeBytes: 1000 },
      ],
    },
    lastDecision: {
      at: '2026-12-01T10:15:00.000Z',
      member: 'cache-1',
      usedPercent: 83,
      thresholdPercent: 80,
      fromBytes: 1024 ** 3,
      toBytes: 1.5 * 1024 ** 3,
      file: 'ops/x.yaml',
      result: 'AwaitingMerge',
      commit: '0123456789abcdef0123456789abcdef01234567',
      branch: 'dbops/cache-20261201-101500',
      attempts: 2,
      message: 'usage 83% of cache-1 is above 80%: expand 1Gi -> 1536Mi',
    },
    decisions: { Expand: 1 },
    commitAttempts: 2,
    commitConflicts: 1,
  };

  it('shows the fullest member, the last decision with its commit and branch, and true conditions', () => {
    expect(renderAutoscalers([scaler]).map((l) => l.replace(/ +/g, ' ').trim())).toEqual([
      'AUTOSCALER DATABASE TRIGGER USAGE LAST DECISION COMMIT',
      'cache-storage cache On 83% of cache-1 (> 80% expands) AwaitingMerge 1Gi -> 1.5Gi at 2026-12-01T10:15:00.000Z 0123456789ab on dbops/cache-20261201-101500',
      'cache-storage: AutoscalerAwaitingMerge: ops/x.yaml waits on branch dbops/cache-20261201-101500 for a merge',
    ]);
  });

  it('says why a decision failed, and shows a dash before the first sample', () => {
    const failed = {
      ...scaler,
      conditions: [],
      usage: null,
      lastDecision: {
        ...scaler.lastDecision!,
        result: 'Failed' as const,
        commit: null,
        message: 'refused',
      },
    };
    const lines = renderAutoscalers([failed]).map((l) => l.replace(/ +/g, ' ').trim());
    expect(lines[1]).toMatch(/^cache-storage cache On - Failed/);
    expect(lines[2]).toBe('cache-storage: Failed: refused');
  });
});
