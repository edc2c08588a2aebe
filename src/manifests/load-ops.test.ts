import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { autoscalerDoc, opsDoc, postgresDoc, redisDoc, withField, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';
import type { LoadInput } from './load.js';

const dbs = yamlFile(
  'databases/all.yaml',
  redisDoc('cache', { mode: 'Cluster' }),
  redisDoc('solo'),
  postgresDoc('pg'),
);
const withDoc = (doc: unknown, extra: Partial<LoadInput> = {}) =>
  loadDesiredState({ revision: 'r', files: [dbs, yamlFile('ops/x.yaml', doc)], ...extra });
const ve = opsDoc('RedisOpsRequest', 'grow', 'cache', 'VolumeExpansion', {
  volumeExpansion: { redis: '2Gi' },
});

describe('valid OpsRequests and autoscalers', () => {
  it.each([
    [
      'VolumeExpansion',
      ve,
      {
        type: 'VolumeExpansion',
        volumeExpansion: { mode: 'Online', bytes: 2 ** 31 },
        apply: 'IfReady',
      },
    ],
    [
      'VolumeExpansion Offline, Postgres',
      opsDoc('PostgresOpsRequest', 'grow', 'pg', 'VolumeExpansion', {
        volumeExpansion: { mode: 'Offline', postgres: '3Gi' },
        timeout: '5m',
        apply: 'Always',
      }),
      {
        volumeExpansion: { mode: 'Offline', bytes: 3 * 2 ** 30 },
        timeoutMs: 300_000,
        apply: 'Always',
      },
    ],
    [
      'Reconfigure',
      opsDoc('RedisOpsRequest', 'cfg', 'cache', 'Reconfigure', {
        configuration: { applyConfig: { 'redis.conf': 'maxmemory 1gb' }, restart: true },
      }),
      {
        configuration: {
          applyConfig: { maxmemory: '1gb' },
          removeCustomConfig: false,
          restart: 'true',
        },
      },
    ],
    [
      'Reconfigure remove only',
      opsDoc('PostgresOpsRequest', 'cfg', 'pg', 'Reconfigure', {
        configuration: { removeCustomConfig: true },
      }),
      { configuration: { applyConfig: {}, removeCustomConfig: true, restart: 'auto' } },
    ],
    ['Restart', opsDoc('RedisOpsRequest', 'rs', 'solo', 'Restart'), { type: 'Restart' }],
    [
      'HorizontalScaling',
      opsDoc('PostgresOpsRequest', 'hs', 'pg', 'HorizontalScaling', {
        horizontalScaling: { replicas: 3 },
      }),
      { horizontalScaling: { replicas: 3 } },
    ],
  ])('%s', (_title, doc, expected) => {
    const s = withDoc(doc);
    expect(s.errors).toEqual([]);
    expect(s.opsRequests).toHaveLength(1);
    expect(s.opsRequests[0]).toMatchObject({
      ...expected,
      origin: { file: 'ops/x.yaml', line: 1 },
    });
    expect(s.opsRequests[0]?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('normalises an autoscaler with defaults and rules', () => {
    const doc = autoscalerDoc('RedisAutoscaler', 'as', 'cache', 'cluster', {
      usageThreshold: 70,
      scalingRules: [
        { appliesUpto: '10Gi', threshold: '50pc' },
        { appliesUpto: '', threshold: '5Gi' },
      ],
      upperBound: '100Gi',
    });
    const s = withDoc(
      withField(doc, 'spec.opsRequestOptions', { timeout: '10m', apply: 'Always' }),
    );
    expect(s.errors).toEqual([]);
    expect(s.autoscalers[0]).toEqual({
      kind: 'RedisAutoscaler',
      name: 'as',
      database: 'cache',
      origin: { file: 'ops/x.yaml', line: 1 },
      storage: {
        trigger: true,
        usageThreshold: 70,
        scalingThreshold: 50,
        scalingRules: [
          { appliesUptoBytes: 10 * 2 ** 30, threshold: { percent: 50 } },
          { appliesUptoBytes: null, threshold: { bytes: 5 * 2 ** 30 } },
        ],
        upperBoundBytes: 100 * 2 ** 30,
        expansionMode: 'Online',
      },
      opsRequestOptions: { timeoutMs: 600_000, apply: 'Always' },
    });
    expect(s.databases.get('cache')?.autoscalers).toHaveLength(1);
  });

  it('the digest ignores formatting and key order but not content', () => {
    const a = withDoc(ve).opsRequests[0]?.digest;
    const reordered = {
      kind: ve.kind,
      spec: ve.spec,
      metadata: ve.metadata,
      apiVersion: ve.apiVersion,
    };
    expect(withDoc(reordered).opsRequests[0]?.digest).toBe(a);
    expect(
      withDoc(withField(ve, 'spec.volumeExpansion.redis', '2048Mi')).opsRequests[0]?.digest,
    ).toBe(a);
    expect(
      withDoc(withField(ve, 'spec.volumeExpansion.redis', '3Gi')).opsRequests[0]?.digest,
    ).not.toBe(a);
  });
});

describe('executed OpsRequests are immutable', () => {
  it('accepts the recorded digest and rejects an edit with opsEdited', () => {
    const first = withDoc(ve);
    const digest = first.opsRequests[0]?.digest ?? '';
    const executedOps = new Map([['grow', digest]]);
    expect(withDoc(ve, { executedOps }).errors).toEqual([]);
    const edited = withDoc(withField(ve, 'spec.volumeExpansion.redis', '4Gi'), { executedOps });
    expect(edited.errors).toHaveLength(1);
    expect(edited.errors[0]).toMatchObject({
      code: codes.opsEdited,
      field: 'metadata.name',
      database: 'cache',
      line: 4,
    });
    expect(edited.errors[0]?.message).toBe(
      'OpsRequest grow was executed with other content; an executed OpsRequest is immutable: revert this edit and create a new OpsRequest instead',
    );
    expect(edited.databases.has('cache')).toBe(false);
    expect(edited.databases.has('pg')).toBe(true);
  });
});

describe('folding in the loader', () => {
  it('folds ops in file-path order, keeps the max size and notes a smaller expansion', () => {
    const files = [
      dbs,
      yamlFile(
        'ops/20260102-cache-b.yaml',
        opsDoc('RedisOpsRequest', 'b', 'cache', 'VolumeExpansion', {
          volumeExpansion: { redis: '1536Mi' },
        }),
      ),
      yamlFile(
        'ops/20260101-cache-a.yaml',
        opsDoc('RedisOpsRequest', 'a', 'cache', 'VolumeExpansion', {
          volumeExpansion: { redis: '3Gi' },
        }),
      ),
    ];
    const s = loadDesiredState({ revision: 'r', files });
    expect(s.errors).toEqual([]);
    const db = s.databases.get('cache');
    expect(db?.spec.storageBytes).toBe(3 * 2 ** 30);
    expect(db?.base.storageBytes).toBe(2 ** 30);
    expect(db?.provenance['spec.storageBytes']?.file).toBe('ops/20260101-cache-a.yaml');
    expect(db?.notes).toEqual([
      'OpsRequest b (ops/20260102-cache-b.yaml) asks for 1536Mi, below the current 3Gi: volumes never shrink, the size stays 3Gi',
    ]);
    expect(s.opsRequests.map((o) => o.name)).toEqual(['a', 'b']);
    expect(db?.ops.map((o) => o.name)).toEqual(['a', 'b']);
  });
});
