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

describe('invalid OpsRequests and autoscalers are attributed to their database', () => {
  it.each([
    [
      'unsupported type',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'VerticalScaling', { verticalScaling: {} }),
      codes.unsupported,
      'spec.type',
      /not supported by dbops yet/,
    ],
    [
      'unknown type',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'Explode'),
      codes.invalidField,
      'spec.type',
      /must be one of VolumeExpansion, Reconfigure, Restart, HorizontalScaling/,
    ],
    [
      'missing section',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'VolumeExpansion'),
      codes.missingField,
      'spec.volumeExpansion',
      /required for type VolumeExpansion/,
    ],
    [
      'other section',
      opsDoc('PostgresOpsRequest', 'v', 'pg', 'VolumeExpansion', {
        volumeExpansion: { postgres: '2Gi' },
        horizontalScaling: { replicas: 3 },
      }),
      codes.invalidField,
      'spec.horizontalScaling',
      /only valid with type HorizontalScaling/,
    ],
    [
      'wrong engine key',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'VolumeExpansion', {
        volumeExpansion: { postgres: '2Gi' },
      }),
      codes.unknownField,
      'spec.volumeExpansion.postgres',
      /unknown field/,
    ],
    [
      'bad size',
      withField(ve, 'spec.volumeExpansion.redis', '2 Gi'),
      codes.invalidQuantity,
      'spec.volumeExpansion.redis',
      /not a Kubernetes quantity/,
    ],
    [
      'bad timeout',
      withField(ve, 'spec.timeout', '5 minutes'),
      codes.invalidField,
      'spec.timeout',
      /not a duration/,
    ],
    [
      'bad restart',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'Reconfigure', {
        configuration: { applyConfig: { 'redis.conf': 'maxmemory 1mb' }, restart: 'maybe' },
      }),
      codes.invalidField,
      'spec.configuration.restart',
      /must be/,
    ],
    [
      'empty Reconfigure',
      opsDoc('RedisOpsRequest', 'v', 'cache', 'Reconfigure', { configuration: {} }),
      codes.missingField,
      'spec.configuration.applyConfig',
      /removeCustomConfig: true/,
    ],
    [
      'forbidden applyConfig',
      opsDoc('PostgresOpsRequest', 'v', 'pg', 'Reconfigure', {
        configuration: { applyConfig: { 'user.conf': "archive_command = 'sh'" } },
      }),
      codes.forbiddenConfig,
      'spec.configuration.applyConfig["user.conf"]',
      /archive_command/,
    ],
    [
      'shards for Postgres',
      opsDoc('PostgresOpsRequest', 'v', 'pg', 'HorizontalScaling', {
        horizontalScaling: { shards: 2 },
      }),
      codes.unknownField,
      'spec.horizontalScaling.shards',
      /unknown field/,
    ],
    [
      'unknown database',
      withField(ve, 'spec.databaseRef.name', 'cach'),
      codes.unknownDatabase,
      'spec.databaseRef.name',
      /no database named "cach".*Did you mean "cache"/,
    ],
    [
      'other kind',
      withField(ve, 'spec.databaseRef.name', 'pg'),
      codes.invalidField,
      'kind',
      /RedisOpsRequest cannot refer to Postgres database "pg".*PostgresOpsRequest/,
    ],
    [
      'scaling a Redis (refused by validation, in the words of the controller)',
      opsDoc('RedisOpsRequest', 'v', 'solo', 'HorizontalScaling', {
        horizontalScaling: { replicas: 2 },
      }),
      codes.unsupported,
      'spec.horizontalScaling',
      /^HorizontalScaling of a Redis database is not supported yet/,
    ],
    [
      'autoscaler mode mismatch',
      autoscalerDoc('RedisAutoscaler', 'a', 'cache', 'standalone'),
      codes.invalidField,
      'spec.storage.standalone',
      /use storage.cluster/,
    ],
    [
      'autoscaler sentinel',
      autoscalerDoc('RedisAutoscaler', 'a', 'cache', 'sentinel'),
      codes.unsupported,
      'spec.storage.sentinel',
      /Sentinel/,
    ],
    [
      'autoscaler usageThreshold',
      autoscalerDoc('PostgresAutoscaler', 'a', 'pg', 'postgres', { usageThreshold: 100 }),
      codes.invalidField,
      'spec.storage.postgres.usageThreshold',
      /at most 99/,
    ],
    [
      'autoscaler bad rule',
      autoscalerDoc('PostgresAutoscaler', 'a', 'pg', 'postgres', {
        scalingRules: [{ appliesUpto: '', threshold: '50%' }],
      }),
      codes.invalidField,
      'spec.storage.postgres.scalingRules[0].threshold',
      /50pc/,
    ],
    [
      'autoscaler trigger',
      autoscalerDoc('PostgresAutoscaler', 'a', 'pg', 'postgres', { trigger: true }),
      codes.invalidField,
      'spec.storage.postgres.trigger',
      /On, Off/,
    ],
    [
      'autoscaler for the other kind',
      autoscalerDoc('PostgresAutoscaler', 'a', 'cache', 'postgres'),
      codes.invalidField,
      'kind',
      /PostgresAutoscaler cannot refer to Redis/,
    ],
  ])('%s', (_title, doc, code, field, message) => {
    const s = withDoc(doc);
    const err = s.errors.find((e) => e.field === field);
    expect(err, JSON.stringify(s.errors)).toBeDefined();
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(err?.file).toBe('ops/x.yaml');
    const database = (doc as { spec: { databaseRef: { name: string } } }).spec.databaseRef.name;
    expect(err?.database).toBe(database);
    expect(s.incomplete).toBe(false);
    expect(s.databases.has(database)).toBe(false);
    // Every other database goes on.
    expect(s.databases.size).toBe(['cache', 'solo', 'pg'].filter((n) => n !== database).length);
    expect(s.opsRequests).toEqual([]);
  });

  it('an OpsRequest without a usable databaseRef makes the state incomplete', () => {
    const s = withDoc(withField(ve, 'spec.databaseRef', undefined));
    expect(s.errors[0]).toMatchObject({ code: codes.missingField, field: 'spec.databaseRef' });
    expect(s.incomplete).toBe(true);
    expect(s.databases.size).toBe(3);
  });

  it('rejects duplicate OpsRequest and autoscaler names', () => {
    const s = loadDesiredState({
      revision: 'r',
      files: [
        dbs,
        yamlFile('ops/a.yaml', ve, autoscalerDoc('RedisAutoscaler', 'as', 'cache', 'cluster')),
        yamlFile(
          'ops/b.yaml',
          withField(ve, 'spec.databaseRef.name', 'solo'),
          autoscalerDoc('PostgresAutoscaler', 'as', 'pg', 'postgres'),
        ),
      ],
    });
    expect(s.errors.map((e) => [e.code, e.file, e.database])).toEqual([
      [codes.duplicateName, 'ops/a.yaml', 'cache'],
      [codes.duplicateName, 'ops/a.yaml', 'cache'],
      [codes.duplicateName, 'ops/b.yaml', 'solo'],
      [codes.duplicateName, 'ops/b.yaml', 'pg'],
    ]);
    expect([...s.databases.keys()]).toEqual([]);
  });

  it('refuses a second autoscaler for one database, naming the first', () => {
    const s = loadDesiredState({
      revision: 'r',
      files: [
        dbs,
        yamlFile(
          'autoscalers/a.yaml',
          autoscalerDoc('PostgresAutoscaler', 'first', 'pg', 'postgres'),
        ),
        yamlFile(
          'autoscalers/b.yaml',
          autoscalerDoc('PostgresAutoscaler', 'second', 'pg', 'postgres'),
        ),
      ],
    });
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({
      code: codes.invalidField,
      file: 'autoscalers/b.yaml',
      field: 'spec.databaseRef.name',
      database: 'pg',
    });
    expect(s.errors[0]?.message).toMatch(/already has the autoscaler "first"/);
  });
});
