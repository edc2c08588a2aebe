import { describe, expect, it } from 'vitest';
import type { OpsRequest, Origin, PostgresSpec, RedisSpec } from '../api/desired.js';
import { foldDatabase } from './fold.js';

const origin: Origin = { file: 'databases/cache.yaml', line: 1, commit: 'c1' };
const redis: RedisSpec = {
  kind: 'Redis',
  name: 'cache',
  version: '7.2.4',
  storageType: 'Durable',
  storageBytes: 2 ** 30,
  config: { maxmemory: '100mb', 'maxmemory-policy': 'noeviction' },
  halted: false,
  deletionPolicy: 'Delete',
  mode: 'Cluster',
  shards: 3,
  replicas: 2,
};
const pg: PostgresSpec = {
  kind: 'Postgres',
  name: 'cache',
  version: '15',
  storageType: 'Durable',
  storageBytes: 2 ** 30,
  config: {},
  halted: false,
  deletionPolicy: 'Delete',
  replicas: 1,
};

let n = 0;
function op(file: string, fields: Partial<OpsRequest> & Pick<OpsRequest, 'type'>): OpsRequest {
  n++;
  return {
    kind: 'RedisOpsRequest',
    name: `op${n}`,
    database: 'cache',
    origin: { file },
    digest: 'd',
    apply: 'IfReady',
    ...fields,
  };
}
const expand = (file: string, gi: number) =>
  op(file, { type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: gi * 2 ** 30 } });
const reconf = (file: string, applyConfig: Record<string, string>, removeCustomConfig = false) =>
  op(file, {
    type: 'Reconfigure',
    configuration: { applyConfig, removeCustomConfig, restart: 'auto' },
  });
const scale = (file: string, horizontalScaling: { shards?: number; replicas?: number }) =>
  op(file, { type: 'HorizontalScaling', horizontalScaling });

describe('foldDatabase', () => {
  it.each([
    {
      title: 'no ops: the spec as written',
      ops: [],
      spec: {},
      prov: {
        'spec.storageBytes': origin.file,
        'spec.config.maxmemory': origin.file,
        'spec.shards': origin.file,
        'spec.version': origin.file,
      },
      notes: 0,
    },
    {
      title: 'expansion raises the size',
      ops: [expand('ops/1.yaml', 2)],
      spec: { storageBytes: 2 * 2 ** 30 },
      prov: { 'spec.storageBytes': 'ops/1.yaml' },
      notes: 0,
    },
    {
      title: 'max of several expansions, in file order',
      ops: [expand('ops/2.yaml', 2), expand('ops/1.yaml', 3)],
      spec: { storageBytes: 3 * 2 ** 30 },
      prov: { 'spec.storageBytes': 'ops/1.yaml' },
      notes: 1,
    },
    {
      title: 'expansion below the spec is a note, never a shrink',
      ops: [expand('ops/1.yaml', 0.5)],
      spec: { storageBytes: 2 ** 30 },
      prov: { 'spec.storageBytes': origin.file },
      notes: 1,
    },
    {
      title: 'expansion equal to the spec changes nothing',
      ops: [expand('ops/1.yaml', 1)],
      spec: { storageBytes: 2 ** 30 },
      prov: { 'spec.storageBytes': origin.file },
      notes: 0,
    },
    {
      title: 'reconfigure merges key by key',
      ops: [reconf('ops/1.yaml', { maxmemory: '1gb', timeout: '30' })],
      spec: { config: { maxmemory: '1gb', 'maxmemory-policy': 'noeviction', timeout: '30' } },
      prov: {
        'spec.config.maxmemory': 'ops/1.yaml',
        'spec.config.maxmemory-policy': origin.file,
        'spec.config.timeout': 'ops/1.yaml',
      },
      notes: 0,
    },
    {
      title: 'removeCustomConfig drops the custom layer, then applyConfig merges',
      ops: [reconf('ops/1.yaml', { timeout: '30' }), reconf('ops/2.yaml', { hz: '20' }, true)],
      spec: { config: { hz: '20' } },
      prov: {
        'spec.config.hz': 'ops/2.yaml',
        'spec.config.maxmemory': undefined,
        'spec.config.timeout': undefined,
      },
      notes: 0,
    },
    {
      title: 'later reconfigure wins',
      ops: [reconf('ops/2.yaml', { maxmemory: '2gb' }), reconf('ops/1.yaml', { maxmemory: '1gb' })],
      spec: { config: { maxmemory: '2gb', 'maxmemory-policy': 'noeviction' } },
      prov: { 'spec.config.maxmemory': 'ops/2.yaml' },
      notes: 0,
    },
    {
      title: 'horizontal scaling, later wins',
      ops: [scale('ops/1.yaml', { shards: 5, replicas: 3 }), scale('ops/2.yaml', { shards: 4 })],
      spec: { shards: 4, replicas: 3 },
      prov: { 'spec.shards': 'ops/2.yaml', 'spec.replicas': 'ops/1.yaml' },
      notes: 0,
    },
    {
      title: 'restart changes nothing',
      ops: [op('ops/1.yaml', { type: 'Restart' })],
      spec: { storageBytes: 2 ** 30, shards: 3 },
      prov: { 'spec.shards': origin.file },
      notes: 0,
    },
    {
      title: 'ops of other databases are skipped',
      ops: [{ ...expand('ops/1.yaml', 9), database: 'other' }],
      spec: { storageBytes: 2 ** 30 },
      prov: { 'spec.storageBytes': origin.file },
      notes: 0,
    },
  ])('$title', ({ ops, spec, prov, notes }) => {
    const before = structuredClone(redis);
    const r = foldDatabase(redis, origin, ops);
    expect(r.spec).toMatchObject(spec);
    for (const [field, file] of Object.entries(prov))
      expect(r.provenance[field]?.file, field).toBe(file);
    expect(r.notes).toHaveLength(notes);
    expect(redis).toEqual(before);
  });

  it('keeps the full origin of the base file', () => {
    expect(foldDatabase(redis, origin, []).provenance['spec.version']).toEqual(origin);
  });

  it.each([
    ['shards on Postgres', pg, scale('ops/1.yaml', { shards: 3 }), {}, /only a Redis Cluster/],
    ['replicas on Postgres', pg, scale('ops/1.yaml', { replicas: 3 }), { replicas: 3 }, null],
    [
      'replicas on a Standalone Redis',
      { ...redis, mode: 'Standalone' as const, shards: 1, replicas: 1 },
      scale('ops/1.yaml', { replicas: 2 }),
      { replicas: 1 },
      /Standalone/,
    ],
  ])('%s', (_title, base, o, spec, note) => {
    const r = foldDatabase(base, origin, [o]);
    expect(r.spec).toMatchObject(spec);
    if (note) expect(r.notes[0]).toMatch(note);
    else expect(r.notes).toEqual([]);
  });
});
