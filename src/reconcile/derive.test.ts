import { describe, expect, it } from 'vitest';
import type { DatabaseSpec, OpsRequest, PostgresSpec } from '../api/desired.js';
import { newOperation } from '../execute/queue.js';
import { postgresSpec } from '../../test/helpers/specs.js';
import { deriveOperations, resolve, targetKeyOf, type StoredOp } from './derive.js';

const Gi = 1024 ** 3;
const warmPostgres = (over: Partial<PostgresSpec> = {}): PostgresSpec =>
  postgresSpec({ name: 'c', warmStandbys: true, ...over });
const redis = (over: Partial<DatabaseSpec> = {}): DatabaseSpec => ({
  kind: 'Redis',
  name: 'c',
  version: '7.0',
  mode: 'Cluster',
  shards: 3,
  replicas: 2,
  storageType: 'Durable',
  storageBytes: Gi,
  config: { maxmemory: '64mb' },
  halted: false,
  deletionPolicy: 'Delete',
  ...over,
});

function op(request: Partial<OpsRequest>, over: Partial<StoredOp> = {}): StoredOp {
  const req: OpsRequest = {
    kind: 'RedisOpsRequest',
    name: 'o',
    database: 'c',
    type: 'Restart',
    origin: { file: 'ops/o.yaml' },
    digest: 'd',
    apply: 'IfReady',
    ...request,
  };
  return {
    ...newOperation({ id: req.name, database: 'c', type: req.type }, 0),
    source: 'OpsRequest',
    file: req.origin.file,
    digest: req.digest,
    revision: null,
    apply: req.apply,
    timeoutMs: null,
    request: req,
    target: null,
    targetKey: null,
    position: null,
    noted: false,
    ...over,
  };
}

describe('resolve: what an OpsRequest does against the spec the database runs at', () => {
  const cases: { name: string; o: StoredOp; applied: DatabaseSpec; want: object }[] = [
    {
      name: 'expansion above the current size runs',
      o: op({ type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 2 * Gi } }),
      applied: redis(),
      want: { kind: 'run', after: { storageBytes: 2 * Gi } },
    },
    {
      name: 'expansion to a smaller size fails clearly and changes nothing',
      o: op({ type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: Gi / 2 } }),
      applied: redis(),
      want: { kind: 'fail', reason: 'CannotShrink' },
    },
    {
      name: 'reconfigure merges key by key',
      o: op({
        type: 'Reconfigure',
        configuration: {
          applyConfig: { 'maxmemory-policy': 'allkeys-lru' },
          removeCustomConfig: false,
          restart: 'auto',
        },
      }),
      applied: redis(),
      want: {
        kind: 'run',
        after: { config: { maxmemory: '64mb', 'maxmemory-policy': 'allkeys-lru' } },
      },
    },
    {
      name: 'removeCustomConfig drops the custom layer before applying',
      o: op({
        type: 'Reconfigure',
        configuration: {
          applyConfig: { timeout: '10' },
          removeCustomConfig: true,
          restart: 'auto',
        },
      }),
      applied: redis(),
      want: { kind: 'run', after: { config: { timeout: '10' } } },
    },
    {
      name: 'a reconfigure to the current config is skipped',
      o: op({
        type: 'Reconfigure',
        configuration: {
          applyConfig: { maxmemory: '64mb' },
          removeCustomConfig: false,
          restart: 'auto',
        },
      }),
      applied: redis(),
      want: { kind: 'skip' },
    },
    {
      name: 'restart keeps the spec',
      o: op({ type: 'Restart' }),
      applied: redis(),
      want: { kind: 'run', after: redis() },
    },
    {
      name: 'redis resharding is refused',
      o: op({ type: 'HorizontalScaling', horizontalScaling: { shards: 4 } }),
      applied: redis(),
      want: { kind: 'fail', reason: 'Unsupported' },
    },
    {
      name: 'a reconfigure of a Postgres with warm standbys is refused',
      o: op({
        kind: 'PostgresOpsRequest',
        type: 'Reconfigure',
        configuration: {
          applyConfig: { work_mem: '8MB' },
          removeCustomConfig: false,
          restart: 'auto',
        },
      }),
      applied: warmPostgres(),
      want: { kind: 'fail', reason: 'Unsupported', message: /standbyMode: Warm/ },
    },
    {
      name: 'a restart of a Postgres with warm standbys runs',
      o: op({ kind: 'PostgresOpsRequest', type: 'Restart' }),
      applied: warmPostgres(),
      want: { kind: 'run', after: warmPostgres() },
    },
  ];
  it.each(cases)('$name', ({ o, applied, want }) =>
    expect(resolve(o, applied)).toMatchObject(want),
  );
});

describe('deriveOperations: a spec change needs an operation', () => {
  const base = { database: 'c', existing: [] as StoredOp[], revision: 'abcdef0123456789', now: 0 };
  it('a bigger size derives a VolumeExpansion, a config change a Reconfigure, volume first', () => {
    const d = deriveOperations({
      ...base,
      applied: redis(),
      target: redis({ storageBytes: 2 * Gi, config: {} }),
    });
    expect(d.add.map((o) => [o.id, o.type, o.source])).toEqual([
      ['c-volumeexpansion-abcdef012345', 'VolumeExpansion', 'SpecChange'],
      ['c-reconfigure-abcdef012345', 'Reconfigure', 'SpecChange'],
    ]);
  });

  it('a smaller size (a reverted expansion) derives nothing and says the volume stays', () => {
    const d = deriveOperations({
      ...base,
      applied: redis({ storageBytes: 2 * Gi }),
      target: redis(),
    });
    expect(d.add).toEqual([]);
    expect(d.notes.volumeStays).toBe(
      'volume stays at 2Gi: volumes cannot shrink (the spec asks for 1Gi)',
    );
  });

  it('fields without an operation are taken over; unsupported ones are reported and kept', () => {
    const d = deriveOperations({
      ...base,
      applied: redis(),
      target: redis({ deletionPolicy: 'WipeOut', shards: 4, version: '7.2' }),
    });
    expect(d.applied).toMatchObject({ deletionPolicy: 'WipeOut', shards: 3, version: '7.0' });
    expect(d.notes.unsupported).toContain('shards/replicas 3x2 -> 4x2');
    expect(d.notes.unsupported).toContain('version 7.0 -> 7.2');
  });

  it('a change of standbyMode is reported and kept: it would need every standby restarted', () => {
    const d = deriveOperations({
      ...base,
      applied: warmPostgres(),
      target: warmPostgres({ warmStandbys: undefined }),
    });
    expect(d.applied).toMatchObject({ warmStandbys: true });
    expect(d.add).toEqual([]);
    expect(d.notes.unsupported).toContain('standbyMode Warm -> Hot');
  });

  it('does not retry a failed operation for the same target, but does for a new one', () => {
    const target = redis({ config: {} });
    const failed = {
      ...op({}),
      source: 'SpecChange' as const,
      type: 'Reconfigure',
      phase: 'Failed' as const,
      targetKey: targetKeyOf('Reconfigure', target),
    };
    expect(deriveOperations({ ...base, existing: [failed], applied: redis(), target }).add).toEqual(
      [],
    );
    const other = redis({ config: { timeout: '5' } });
    expect(
      deriveOperations({ ...base, existing: [failed], applied: redis(), target: other }).add,
    ).toHaveLength(1);
  });

  it('after a revert to an earlier target that once succeeded, a new operation is derived', () => {
    const a = redis({ config: { maxmemory: '64mb' } });
    const ok = {
      ...op({}),
      source: 'SpecChange' as const,
      type: 'Reconfigure',
      phase: 'Successful' as const,
      targetKey: targetKeyOf('Reconfigure', a),
    };
    const d = deriveOperations({
      ...base,
      existing: [ok],
      applied: redis({ config: { maxmemory: '128mb' } }),
      target: a,
    });
    expect(d.add.map((o) => o.type)).toEqual(['Reconfigure']);
  });
});
