import { describe, expect, it } from 'vitest';
import type { DatabaseSpec, OpsRequest } from '../api/desired.js';
import { describeOperation, planOperations } from './operations.js';
import { postgresSpec } from '../../test/helpers/specs.js';

const Gi = 1024 ** 3;
const cluster = (over: Partial<DatabaseSpec> = {}): DatabaseSpec => ({
  kind: 'Redis',
  name: 'cache',
  version: '7.0.15',
  mode: 'Cluster',
  shards: 3,
  replicas: 2,
  storageType: 'Durable',
  storageBytes: Gi,
  config: { 'maxmemory-policy': 'noeviction' },
  halted: false,
  deletionPolicy: 'Delete',
  ...over,
});
const standalone = (over: Partial<DatabaseSpec> = {}) =>
  cluster({ name: 'session', mode: 'Standalone', shards: 1, replicas: 1, ...over });
const postgres = postgresSpec;

const req = (db: DatabaseSpec, over: Partial<OpsRequest>): OpsRequest => ({
  kind: db.kind === 'Redis' ? 'RedisOpsRequest' : 'PostgresOpsRequest',
  name: `${db.name}-op`,
  database: db.name,
  type: 'Restart',
  origin: { file: `ops/${over.name ?? `${db.name}-op`}.yaml` },
  digest: 'd',
  apply: 'IfReady',
  ...over,
});
const expand = (db: DatabaseSpec, bytes: number, mode: 'Online' | 'Offline' = 'Online') =>
  req(db, { name: `${db.name}-expand`, type: 'VolumeExpansion', volumeExpansion: { mode, bytes } });
const reconfigure = (
  db: DatabaseSpec,
  applyConfig: Record<string, string>,
  restart: 'auto' | 'true' | 'false' = 'auto',
) =>
  req(db, {
    name: `${db.name}-reconfigure`,
    type: 'Reconfigure',
    configuration: { applyConfig, removeCustomConfig: false, restart },
  });

describe('planOperations: what each change causes and how it runs', () => {
  const cases: {
    name: string;
    applied: DatabaseSpec;
    target?: DatabaseSpec;
    pending?: OpsRequest[];
    want: string[];
    restarts?: string[][];
  }[] = [
    {
      name: 'nothing changed: no operation',
      applied: cluster(),
      want: [],
    },
    {
      name: 'spec storage up: an Online expansion, no restart',
      applied: cluster(),
      target: cluster({ storageBytes: 2 * Gi }),
      want: ['VolumeExpansion 1Gi -> 2Gi, Online, no restart'],
    },
    {
      name: 'spec storage down: no operation (the note says why)',
      applied: cluster({ storageBytes: 2 * Gi }),
      target: cluster({ storageBytes: Gi }),
      want: [],
    },
    {
      name: 'live Redis setting: applied live',
      applied: standalone(),
      target: standalone({ config: { 'maxmemory-policy': 'allkeys-lru' } }),
      want: ['Reconfigure maxmemory-policy noeviction -> allkeys-lru: applied live'],
    },
    {
      name: 'a Redis Cluster setting that needs a restart: rolling restart with a failover per shard',
      applied: cluster(),
      target: cluster({ config: { 'maxmemory-policy': 'noeviction', databases: '32' } }),
      want: ['Reconfigure databases (unset) -> 32: rolling restart of 6 members, 3 failovers'],
      restarts: [
        [
          'cache-shard0-1',
          'cache-shard1-1',
          'cache-shard2-1',
          'cache-shard0-0',
          'cache-shard1-0',
          'cache-shard2-0',
        ],
      ],
    },
    {
      name: 'a Postgres postmaster setting: standbys first',
      applied: postgres(),
      target: postgres({ config: { shared_buffers: '256MB' } }),
      want: [
        'Reconfigure shared_buffers (unset) -> 256MB: rolling restart of 2 members (standbys first)',
      ],
      restarts: [['orders-1', 'orders-0']],
    },
    {
      name: 'a Postgres reloadable setting: applied live',
      applied: postgres(),
      target: postgres({ config: { work_mem: '8MB' } }),
      want: ['Reconfigure work_mem (unset) -> 8MB: applied live'],
    },
    {
      name: 'restart: false on a restart setting: applied at the next restart',
      applied: postgres(),
      pending: [reconfigure(postgres(), { max_connections: '200' }, 'false')],
      target: postgres({ config: { max_connections: '200' } }),
      want: [
        'Reconfigure max_connections (unset) -> 200: applied at the next restart (restart: false)',
      ],
    },
    {
      name: 'restart: true on a live setting: a restart all the same',
      applied: standalone(),
      pending: [reconfigure(standalone(), { 'maxmemory-policy': 'allkeys-lru' }, 'true')],
      target: standalone({ config: { 'maxmemory-policy': 'allkeys-lru' } }),
      want: ['Reconfigure maxmemory-policy noeviction -> allkeys-lru: restart of 1 member'],
    },
    {
      name: 'an Offline expansion of a cluster: members taken down, failovers first',
      applied: cluster(),
      pending: [expand(cluster(), 2 * Gi, 'Offline')],
      target: cluster({ storageBytes: 2 * Gi }),
      want: [
        'VolumeExpansion 1Gi -> 2Gi, Offline, each of 6 members taken down in turn, 3 failovers',
      ],
    },
    {
      name: 'an OpsRequest below the size fails and changes nothing',
      applied: cluster({ storageBytes: 2 * Gi }),
      pending: [expand(cluster(), Gi)],
      target: cluster({ storageBytes: 2 * Gi }),
      want: [
        'VolumeExpansion: will fail: asks for 1Gi but the volumes already have 2Gi: volumes never shrink; nothing was changed (ask for a larger size)',
      ],
    },
    {
      name: 'a Reconfigure to what runs is skipped',
      applied: standalone(),
      pending: [reconfigure(standalone(), { 'maxmemory-policy': 'noeviction' })],
      want: [
        'Reconfigure: nothing to do: the configuration is already what this OpsRequest asks for',
      ],
    },
    {
      name: 'Postgres replicas up: members added, no restart',
      applied: postgres(),
      target: postgres({ replicas: 3 }),
      want: ['HorizontalScaling 2 -> 3 replicas: 1 member(s) added, no restart'],
    },
    {
      name: 'a Restart OpsRequest of a Postgres: standbys first',
      applied: postgres(),
      pending: [req(postgres(), { type: 'Restart' })],
      want: ['Restart: rolling restart of 2 members (standbys first)'],
    },
    {
      name: 'OpsRequests first in file order, then the spec change, each on what the one before left',
      applied: postgres(),
      pending: [expand(postgres(), 2 * Gi), reconfigure(postgres(), { work_mem: '8MB' })],
      target: postgres({
        storageBytes: 4 * Gi,
        config: { work_mem: '8MB', shared_buffers: '1GB' },
      }),
      want: [
        'VolumeExpansion 1Gi -> 2Gi, Online, no restart',
        'Reconfigure work_mem (unset) -> 8MB: applied live',
        'VolumeExpansion 2Gi -> 4Gi, Online, no restart',
        'Reconfigure shared_buffers (unset) -> 1GB: rolling restart of 2 members (standbys first)',
      ],
    },
    {
      name: 'an unsupported type fails by name',
      applied: postgres(),
      pending: [req(postgres(), { type: 'UpdateVersion' })],
      want: ['UpdateVersion: will fail: UpdateVersion is not supported yet; nothing was changed'],
    },
  ];
  it.each(cases)('$name', ({ applied, target, pending, want, restarts }) => {
    const p = planOperations({
      applied,
      target: target ?? applied,
      file: `databases/${applied.name}.yaml`,
      pending: pending ?? [],
    });
    expect(p.operations.map(describeOperation)).toEqual(want);
    if (restarts) expect(p.operations.map((o) => o.restarts)).toEqual(restarts);
  });

  it('says which operations git revert cannot undo, and marks spec changes by their file', () => {
    const p = planOperations({
      applied: postgres(),
      target: postgres({ storageBytes: 2 * Gi, config: { work_mem: '8MB' } }),
      file: 'databases/orders.yaml',
      pending: [],
    });
    expect(p.operations.map((o) => [o.type, o.reversible, o.source, o.file])).toEqual([
      ['VolumeExpansion', false, 'SpecChange', 'databases/orders.yaml'],
      ['Reconfigure', true, 'SpecChange', 'databases/orders.yaml'],
    ]);
    expect(p.after).toMatchObject({ storageBytes: 2 * Gi, config: { work_mem: '8MB' } });
  });

  it('orders members by their live roles when it has them (a failover moved the master)', () => {
    const p = planOperations({
      applied: cluster({ shards: 1 }),
      target: cluster({ shards: 1, config: { databases: '32' } }),
      file: 'databases/cache.yaml',
      pending: [],
      members: [
        { name: 'cache-shard0-0', shard: 0, role: 'replica' },
        { name: 'cache-shard0-1', shard: 0, role: 'master' },
      ],
    });
    expect(p.operations[0]?.steps).toEqual([
      { kind: 'cycle', member: 'cache-shard0-0' },
      { kind: 'failover', shard: 0, from: 'cache-shard0-1', to: 'cache-shard0-0' },
      { kind: 'cycle', member: 'cache-shard0-1' },
    ]);
  });
});
