import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../api/manifest-file.js';
import { opsDoc, postgresDoc, redisDoc, withField, yamlFile } from '../manifests/fixtures.js';
import { loadDesiredState } from '../manifests/load.js';
import { planAllowed, planChange, type Judge } from './change-plan.js';
import { describeOperation } from './operations.js';

type Obj = Record<string, unknown>;
const cache = redisDoc('cache', {
  mode: 'Cluster',
  cluster: { shards: 3, replicas: 2 },
  deletionPolicy: 'Halt',
});
const session = redisDoc('session', {
  configuration: { inline: { 'redis.conf': 'maxmemory-policy noeviction\n' } },
});
const orders = postgresDoc('orders', { replicas: 2, deletionPolicy: 'Halt' });
const withConfig = (doc: Obj, file: string, text: string) =>
  withField(doc, 'spec.configuration', { inline: { [file]: text } });

function files(docs: Record<string, Obj | Obj[]>): SourceFile[] {
  return Object.entries(docs).map(([path, d]) => yamlFile(path, ...(Array.isArray(d) ? d : [d])));
}

function planOf(
  base: Record<string, Obj | Obj[]>,
  head: Record<string, Obj | Obj[]>,
  judge?: Judge,
) {
  const b = loadDesiredState({ files: files(base), revision: 'a'.repeat(40) });
  const executedOps = new Map(b.opsRequests.map((o) => [o.name, o.digest]));
  const h = loadDesiredState({ files: files(head), revision: 'b'.repeat(40), executedOps });
  return planChange({
    base: b,
    head: h,
    ...(judge ? { judge } : {}),
  });
}

const base = {
  'databases/cache.yaml': cache,
  'databases/session.yaml': session,
  'databases/orders.yaml': orders,
};

describe('planChange: what a commit does to each database', () => {
  it('several changes to several databases in one commit, each with how it runs', () => {
    const p = planOf(base, {
      'databases/cache.yaml': withConfig(
        withField(cache, 'spec.storage.resources.requests.storage', '2Gi'),
        'redis.conf',
        'databases 32\n',
      ),
      'databases/session.yaml': withConfig(session, 'redis.conf', 'maxmemory-policy allkeys-lru\n'),
      'databases/orders.yaml': orders,
      'ops/20261201-120000-orders-reconfigure.yaml': opsDoc(
        'PostgresOpsRequest',
        'orders-buffers',
        'orders',
        'Reconfigure',
        { configuration: { applyConfig: { 'user.conf': 'shared_buffers = 256MB\n' } } },
      ),
    });
    expect(p.unchanged).toBe(0);
    expect(
      Object.fromEntries(p.databases.map((d) => [d.name, d.operations.map(describeOperation)])),
    ).toEqual({
      cache: [
        'VolumeExpansion 1Gi -> 2Gi, Online, no restart',
        'Reconfigure databases (unset) -> 32: rolling restart of 6 members, 3 failovers',
      ],
      orders: [
        'Reconfigure shared_buffers (unset) -> 256MB: rolling restart of 2 members (standbys first)',
      ],
      session: ['Reconfigure maxmemory-policy noeviction -> allkeys-lru: applied live'],
    });
    expect(planAllowed(p)).toBe(true);
  });

  it.each([
    {
      name: 'a new database is provisioned, its OpsRequests are part of its first spec',
      head: {
        ...base,
        'databases/queue.yaml': redisDoc('queue'),
        'ops/20261201-queue.yaml': opsDoc('RedisOpsRequest', 'queue-restart', 'queue', 'Restart'),
      },
      want: {
        name: 'queue',
        change: 'create',
        summary: /^provisioned: Redis standalone, 1 member, 1Gi each, version 7.2.4/,
        notes: [/queue-restart/],
      },
    },
    {
      name: 'a removed file halts the database and keeps the data',
      head: { 'databases/cache.yaml': cache, 'databases/session.yaml': session },
      want: {
        name: 'orders',
        change: 'halt',
        summary: /halted, data kept: the manifest is removed/,
      },
    },
    {
      name: 'a removed WipeOut database is deleted with its data, in words nobody can miss',
      base: {
        ...base,
        'databases/session.yaml': withField(session, 'spec.deletionPolicy', 'WipeOut'),
      },
      head: { 'databases/cache.yaml': cache, 'databases/orders.yaml': orders },
      want: {
        name: 'session',
        change: 'wipe',
        summary: /deletionPolicy WipeOut: its members, volumes and secrets are deleted/,
      },
    },
    {
      name: 'a removed DoNotTerminate database keeps running',
      base: {
        ...base,
        'databases/session.yaml': withField(session, 'spec.deletionPolicy', 'DoNotTerminate'),
      },
      head: { 'databases/cache.yaml': cache, 'databases/orders.yaml': orders },
      want: { name: 'session', change: 'keep', summary: /DoNotTerminate: still running/ },
    },
    {
      name: 'halted: true halts',
      head: { ...base, 'databases/orders.yaml': withField(orders, 'spec.halted', true) },
      want: { name: 'orders', change: 'halt', summary: /spec.halted is true/ },
    },
    {
      name: 'a smaller size stays as it is and says so (irreversible requests)',
      head: {
        ...base,
        'databases/orders.yaml': withField(
          orders,
          'spec.storage.resources.requests.storage',
          '512Mi',
        ),
      },
      want: {
        name: 'orders',
        change: 'update',
        notes: [/volume stays at 1Gi: volumes cannot shrink/],
      },
    },
    {
      name: 'deletionPolicy changes without an operation',
      head: {
        ...base,
        'databases/orders.yaml': withField(orders, 'spec.deletionPolicy', 'WipeOut'),
      },
      want: { name: 'orders', change: 'update', summary: /deletionPolicy Halt -> WipeOut/ },
    },
  ] as { name: string; base?: Record<string, Obj>; head: Record<string, Obj>; want: Obj }[])(
    '$name',
    ({ base: b, head, want }) => {
      const p = planOf(b ?? base, head);
      const d = p.databases.find((x) => x.name === want.name);
      const { notes, summary, ...rest } = want as { notes?: RegExp[]; summary?: RegExp };
      expect(d).toMatchObject(rest);
      expect(d?.summary).toMatch(summary ?? /.*/);
      for (const n of notes ?? []) expect(d?.notes.some((x) => n.test(x))).toBe(true);
    },
  );

  it('an edit of an OpsRequest the base already had is an error and blocks that database', () => {
    const op = (size: string) =>
      opsDoc('PostgresOpsRequest', 'orders-grow', 'orders', 'VolumeExpansion', {
        volumeExpansion: { mode: 'Online', postgres: size },
      });
    const p = planOf(
      { ...base, 'ops/orders-grow.yaml': op('2Gi') },
      { ...base, 'ops/orders-grow.yaml': op('3Gi') },
    );
    const d = p.databases.find((x) => x.name === 'orders');
    expect(d?.change).toBe('invalid');
    expect(d?.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/was executed with other content/),
    ]);
    expect(planAllowed(p)).toBe(false);
  });

  it('an OpsRequest the base already had does not run again; a new one queues behind it in file order', () => {
    const restart = (name: string) => opsDoc('PostgresOpsRequest', name, 'orders', 'Restart');
    const p = planOf(
      { ...base, 'ops/1-restart.yaml': restart('orders-r1') },
      {
        ...base,
        'ops/1-restart.yaml': restart('orders-r1'),
        'ops/2-restart.yaml': restart('orders-r2'),
        'ops/3-restart.yaml': restart('orders-r3'),
      },
    );
    expect(p.databases.find((x) => x.name === 'orders')?.operations.map((o) => o.name)).toEqual([
      'orders-r2',
      'orders-r3',
    ]);
  });

  it('nothing changed: nothing to say', () => {
    const p = planOf(base, base);
    expect(p).toMatchObject({ databases: [], unchanged: 3, errors: [] });
  });

  it('hands each database with its operations to the policies, and a deny makes it not allowed', () => {
    const seen: string[] = [];
    const judge: Judge = (s) => {
      seen.push(`${s.database.name}:${s.operations.length}:${s.before?.storageBytes ?? 'new'}`);
      return s.database.name === 'cache'
        ? [
            {
              policy: 'no-big',
              file: 'policies/x.yaml',
              line: 4,
              effect: 'deny',
              message: 'too big',
            },
          ]
        : [];
    };
    const p = planOf(
      base,
      {
        ...base,
        'databases/cache.yaml': withField(cache, 'spec.storage.resources.requests.storage', '2Gi'),
      },
      judge,
    );
    expect(seen).toEqual(['cache:1:1073741824', 'orders:0:1073741824', 'session:0:1073741824']);
    expect(p.databases.map((d) => [d.name, d.verdicts.length])).toEqual([['cache', 1]]);
    expect(planAllowed(p)).toBe(false);
  });
});
