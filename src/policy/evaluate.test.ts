import { describe, expect, it } from 'vitest';
import { evaluatePolicies } from './evaluate.js';
import type { PolicySubject } from './evaluate.js';
import {
  expansion,
  operation,
  policies,
  policyYaml,
  postgres,
  redis,
  subject,
} from './fixtures.js';

const gi = 2 ** 30;
const now = Date.UTC(2026, 11, 1, 12); // a Tuesday

interface Case {
  name: string;
  spec: string[];
  subject: PolicySubject;
  /** The messages of the deny verdicts after `policy p (policies/test.yaml:1): `. */
  denies: string[];
  operations?: (number | undefined)[];
}

const cases: Case[] = [
  {
    name: 'storage within bounds',
    spec: ['storage: { min: 1Gi, max: 10Gi }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'storage below the minimum',
    spec: ['storage: { min: 2Gi }'],
    subject: subject(redis()),
    denies: ['storage 1Gi is below the minimum of 2Gi; use at least 2Gi'],
  },
  {
    name: 'storage above the maximum',
    spec: ['storage: { max: 512Mi }'],
    subject: subject(postgres()),
    denies: ['storage 1Gi is above the maximum of 512Mi; use at most 512Mi'],
  },
  {
    name: 'noShrink: growing',
    spec: ['noShrink: true'],
    subject: subject(redis(), { operations: [expansion(1, 2)] }),
    denies: [],
  },
  {
    name: 'noShrink: a VolumeExpansion asking for less',
    spec: ['noShrink: true'],
    subject: subject(redis(), { operations: [operation(), expansion(2, 1)] }),
    denies: [
      'VolumeExpansion grow-cache (ops/grow-cache.yaml) asks for 1Gi, less than the 2Gi before it; volumes never shrink: ask for 2Gi or more, or move the data to a new database',
    ],
    operations: [1],
  },
  {
    name: 'noShrink: a spec going down (git revert of an expansion) is allowed: nothing shrinks',
    spec: ['noShrink: true'],
    subject: subject(redis(), { before: redis({ storageBytes: 3 * gi }) }),
    denies: [],
  },
  {
    name: 'noShrink: a new database',
    spec: ['noShrink: true'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'forbiddenConfig: another key',
    spec: ['forbiddenConfig: { keys: [dir] }'],
    subject: subject(redis({ config: { maxmemory: '1gb' } })),
    denies: [],
  },
  {
    name: 'forbiddenConfig: a forbidden key, in any case',
    spec: ['forbiddenConfig: { keys: [dir, dbfilename] }'],
    subject: subject(redis({ config: { DIR: '/tmp', dbfilename: 'x.rdb', maxmemory: '1gb' } })),
    denies: [
      'configuration key DIR may not be set; remove it from the configuration',
      'configuration key dbfilename may not be set; remove it from the configuration',
    ],
  },
  {
    name: 'configValues: an allowed value (case-insensitive)',
    spec: ['configValues: { key: maxmemory-policy, allowed: [noeviction, allkeys-lru] }'],
    subject: subject(redis({ config: { 'maxmemory-policy': 'AllKeys-LRU' } })),
    denies: [],
  },
  {
    name: 'configValues: the key is absent',
    spec: ['configValues: { key: maxmemory-policy, allowed: [noeviction] }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'configValues: a value not in the list',
    spec: ['configValues: { key: maxmemory-policy, allowed: [noeviction, allkeys-lru] }'],
    subject: subject(redis({ config: { 'maxmemory-policy': 'volatile-lru' } })),
    denies: ['maxmemory-policy "volatile-lru" is not allowed; use noeviction or allkeys-lru'],
  },
  {
    name: 'configValues: an integer in range',
    spec: ['configValues: { key: max_connections, min: 10, max: 1000 }'],
    subject: subject(postgres({ config: { max_connections: '200' } })),
    denies: [],
  },
  {
    name: 'configValues: an integer above the range',
    spec: ['configValues: { key: max_connections, min: 10, max: 1000 }'],
    subject: subject(postgres({ config: { MAX_CONNECTIONS: '5000' } })),
    denies: ['max_connections 5000 is above the maximum of 1000; use at most 1000'],
  },
  {
    name: 'configValues: not an integer',
    spec: ['configValues: { key: max_connections, min: 10 }'],
    subject: subject(postgres({ config: { max_connections: 'many' } })),
    denies: [
      'max_connections "many" is not a whole number, and this policy bounds it; write it as a plain integer',
    ],
  },
  {
    name: 'replicas in range',
    spec: ['replicas: { min: 1, max: 3 }'],
    subject: subject(postgres()),
    denies: [],
  },
  {
    name: 'replicas above the maximum (Postgres)',
    spec: ['replicas: { max: 1 }'],
    subject: subject(postgres()),
    denies: ['replicas (primary and standbys) 2 is above the maximum of 1; use at most 1'],
  },
  {
    name: 'replicas below the minimum (Redis)',
    spec: ['replicas: { min: 2 }'],
    subject: subject(redis({ mode: 'Cluster', shards: 3, replicas: 1 })),
    denies: [
      'replicas (members per shard, the master included) 1 is below the minimum of 2; use at least 2',
    ],
  },
  {
    name: 'shards below the minimum',
    spec: ['shards: { min: 3, max: 16 }'],
    subject: subject(redis({ mode: 'Cluster', shards: 2, replicas: 2 })),
    denies: ['shards 2 is below the minimum of 3; use at least 3'],
  },
  {
    name: 'shards: a Standalone Redis is not a cluster',
    spec: ['shards: { min: 3 }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'shards: Postgres',
    spec: ['shards: { min: 3 }'],
    subject: subject(postgres()),
    denies: [],
  },
  {
    name: 'deletionPolicy allowed',
    spec: ['deletionPolicy: { allowed: [Halt, DoNotTerminate] }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'deletionPolicy not in the allowed list',
    spec: ['deletionPolicy: { allowed: [Halt, DoNotTerminate] }'],
    subject: subject(redis({ deletionPolicy: 'Delete' })),
    denies: ['deletionPolicy Delete is not allowed; use Halt or DoNotTerminate'],
  },
  {
    name: 'deletionPolicy forbidden',
    spec: ['deletionPolicy: { forbidden: [WipeOut] }'],
    subject: subject(redis({ deletionPolicy: 'WipeOut' })),
    denies: ['deletionPolicy WipeOut is not allowed; use Delete, Halt or DoNotTerminate'],
  },
  {
    name: 'match: labels that hold',
    spec: ['match: { labels: { env: production } }', 'deletionPolicy: { forbidden: [WipeOut] }'],
    subject: subject(redis({ deletionPolicy: 'WipeOut' }), {
      labels: { env: 'production', team: 'a' },
    }),
    denies: [
      'deletionPolicy WipeOut is not allowed for databases labelled env=production; use Delete, Halt or DoNotTerminate',
    ],
  },
  {
    name: 'match: labels that do not hold',
    spec: ['match: { labels: { env: production } }', 'deletionPolicy: { forbidden: [WipeOut] }'],
    subject: subject(redis({ deletionPolicy: 'WipeOut' }), { labels: { env: 'staging' } }),
    denies: [],
  },
  {
    name: 'match: another kind',
    spec: ['match: { kinds: [Postgres] }', 'storage: { max: 1Mi }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'match: another database',
    spec: ['match: { databases: [orders] }', 'storage: { max: 1Mi }'],
    subject: subject(redis()),
    denies: [],
  },
  {
    name: 'match: every selector holds',
    spec: [
      'match: { kinds: [Redis], databases: [cache], labels: { env: production, tier: hot } }',
      'storage: { max: 1Mi }',
    ],
    subject: subject(redis(), { labels: { env: 'production', tier: 'hot' } }),
    denies: [
      'storage 1Gi is above the maximum of 1Mi for Redis database cache labelled env=production and tier=hot; use at most 1Mi',
    ],
  },
  {
    name: 'match: one selector fails',
    spec: [
      'match: { kinds: [Redis], databases: [cache], labels: { env: production } }',
      'storage: { max: 1Mi }',
    ],
    subject: subject(redis(), { labels: {} }),
    denies: [],
  },
];

describe('evaluatePolicies: typed rules', () => {
  it.each(cases)('$name', (c) => {
    const verdicts = evaluatePolicies(policies(policyYaml('p', ...c.spec)), c.subject, now);
    const prefix = 'policy p (policies/test.yaml:1): ';
    expect(verdicts.map((v) => v.effect)).toEqual(c.denies.map(() => 'deny'));
    verdicts.forEach((v, i) => {
      expect(v.message).toBe(`${prefix}${c.denies[i] ?? ''}`);
      expect(v).toMatchObject({
        policy: 'p',
        file: 'policies/test.yaml',
        line: 1,
        database: c.subject.database.name,
      });
    });
    if (c.operations) expect(verdicts.map((v) => v.operation)).toEqual(c.operations);
    else expect(verdicts.every((v) => v.operation === undefined)).toBe(true);
  });

  it('returns the verdicts of every policy, in the order of the policies', () => {
    const set = policies(
      policyYaml('small', 'storage: { max: 512Mi }'),
      policyYaml('keep', 'noShrink: true'),
      policyYaml('halt', 'deletionPolicy: { allowed: [Halt] }'),
    );
    const s = subject(redis({ deletionPolicy: 'WipeOut' }), {
      before: redis({ storageBytes: 2 * gi }),
      operations: [expansion(2, 1)],
    });
    expect(evaluatePolicies(set, s, now).map((v) => [v.policy, v.line])).toEqual([
      ['small', 1],
      ['keep', 8],
      ['halt', 15],
    ]);
  });

  it('says nothing about a change no policy speaks about', () => {
    expect(evaluatePolicies([], subject(redis()), now)).toEqual([]);
  });
});
