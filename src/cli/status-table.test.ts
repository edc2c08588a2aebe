import { describe, expect, it } from 'vitest';
import type { StatusDocument } from '../api/status.js';
import { humanBytes, renderStatus } from './status-table.js';

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

  it('says when a named database does not exist', () => {
    expect(renderStatus(doc, { database: 'zz' })).toContain('no database named zz');
  });
});
