import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { postgresDoc, redisDoc, withField, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';

const load = (...docs: unknown[]) =>
  loadDesiredState({ revision: 'r1', files: [yamlFile('databases/db.yaml', ...docs)] });

describe('invalid databases', () => {
  const r = redisDoc('cache');
  const p = postgresDoc('pg');
  it.each([
    [
      'missing version',
      withField(r, 'spec.version', undefined),
      codes.missingField,
      'spec.version',
      /required, for example version/,
    ],
    [
      'version not a string',
      withField(r, 'spec.version', ['7']),
      codes.invalidField,
      'spec.version',
      /must be a string, got a list/,
    ],
    [
      'missing size',
      withField(r, 'spec.storage', undefined),
      codes.missingField,
      'spec.storage.resources.requests.storage',
      /required for storageType Durable/,
    ],
    [
      'malformed size',
      withField(r, 'spec.storage.resources.requests.storage', '1GB'),
      codes.invalidQuantity,
      'spec.storage.resources.requests.storage',
      /not a Kubernetes quantity/,
    ],
    [
      'negative size',
      withField(r, 'spec.storage.resources.requests.storage', '-1Gi'),
      codes.invalidQuantity,
      'spec.storage.resources.requests.storage',
      /negative/,
    ],
    [
      'zero size',
      withField(r, 'spec.storage.resources.requests.storage', '0'),
      codes.invalidQuantity,
      'spec.storage.resources.requests.storage',
      /greater than 0/,
    ],
    [
      'size as boolean',
      withField(r, 'spec.storage.resources.requests.storage', true),
      codes.invalidField,
      'spec.storage.resources.requests.storage',
      /must be a string or a number/,
    ],
    [
      'bad mode',
      withField(r, 'spec.mode', 'Clustr'),
      codes.invalidField,
      'spec.mode',
      /one of Standalone, Cluster, Sentinel.*Did you mean "Cluster"/,
    ],
    [
      'Sentinel',
      withField(r, 'spec.mode', 'Sentinel'),
      codes.unsupported,
      'spec.mode',
      /not supported yet/,
    ],
    [
      'shards 0',
      withField(withField(r, 'spec.mode', 'Cluster'), 'spec.cluster', { shards: 0 }),
      codes.invalidField,
      'spec.cluster.shards',
      /at least 1/,
    ],
    [
      'shards not an integer',
      withField(withField(r, 'spec.mode', 'Cluster'), 'spec.cluster', { shards: 2.5 }),
      codes.invalidField,
      'spec.cluster.shards',
      /whole number/,
    ],
    [
      'shards as a string',
      withField(withField(r, 'spec.mode', 'Cluster'), 'spec.cluster', { shards: '3' }),
      codes.invalidField,
      'spec.cluster.shards',
      /must be a number, got "3"/,
    ],
    [
      'too many replicas',
      withField(withField(r, 'spec.mode', 'Cluster'), 'spec.cluster', { replicas: 11 }),
      codes.invalidField,
      'spec.cluster.replicas',
      /at most 10/,
    ],
    [
      'v1alpha2 field in v1',
      withField(withField(r, 'spec.mode', 'Cluster'), 'spec.cluster', { master: 3 }),
      codes.unknownField,
      'spec.cluster.master',
      /cluster.shards/,
    ],
    [
      'terminationPolicy in v1',
      withField(r, 'spec.terminationPolicy', 'Halt'),
      codes.unknownField,
      'spec.terminationPolicy',
      /deletionPolicy/,
    ],
    [
      'typo',
      withField(r, 'spec.stroage', {}),
      codes.unknownField,
      'spec.stroage',
      /Did you mean "storage"/,
    ],
    [
      'unknown field',
      withField(r, 'spec.whatever', 1),
      codes.unknownField,
      'spec.whatever',
      /Accepted fields here: version/,
    ],
    [
      'bad deletionPolicy',
      withField(r, 'spec.deletionPolicy', 'Pause'),
      codes.invalidField,
      'spec.deletionPolicy',
      /Delete, Halt, WipeOut, DoNotTerminate/,
    ],
    [
      'halted as string',
      withField(r, 'spec.halted', 'yes'),
      codes.invalidField,
      'spec.halted',
      /true or false/,
    ],
    [
      'standalone with replicas',
      withField(r, 'spec.replicas', 3),
      codes.invalidField,
      'spec.replicas',
      /one server/,
    ],
    [
      'postgres replicas 0',
      withField(p, 'spec.replicas', 0),
      codes.invalidField,
      'spec.replicas',
      /at least 1/,
    ],
    [
      'wrong config file',
      withField(p, 'spec.configuration', { inline: { 'redis.conf': 'x 1' } }),
      codes.unknownField,
      'spec.configuration.inline["redis.conf"]',
      /Accepted fields here: user.conf/,
    ],
    [
      'config include',
      withField(r, 'spec.configuration', { inline: { 'redis.conf': 'include /etc/x' } }),
      codes.forbiddenConfig,
      'spec.configuration.inline["redis.conf"]',
      /line 1 of redis.conf: "include"/,
    ],
    [
      'config rename-command',
      withField(r, 'spec.configuration', {
        inline: { 'redis.conf': 'maxmemory 1mb\nrename-command CONFIG ""' },
      }),
      codes.forbiddenConfig,
      'spec.configuration.inline["redis.conf"]',
      /line 2 of redis.conf: "rename-command"/,
    ],
    [
      'config dir',
      withField(r, 'spec.configuration', { inline: { 'redis.conf': 'dir /' } }),
      codes.forbiddenConfig,
      'spec.configuration.inline["redis.conf"]',
      /"dir"/,
    ],
    [
      'config newline via CR',
      withField(r, 'spec.configuration', { inline: { 'redis.conf': 'maxmemory 1mb\rdir /' } }),
      codes.forbiddenConfig,
      'spec.configuration.inline["redis.conf"]',
      /control character/,
    ],
    [
      'postgres hba_file',
      withField(p, 'spec.configuration', { inline: { 'user.conf': "hba_file = '/tmp/x'" } }),
      codes.forbiddenConfig,
      'spec.configuration.inline["user.conf"]',
      /hba_file/,
    ],
    [
      'a KubeDB feature dbops does not do yet, by name',
      withField(r, 'spec.tls', { issuerRef: { name: 'ca' } }),
      codes.unsupported,
      'spec.tls',
      /^TLS is not supported yet: remove spec.tls/,
    ],
    [
      'monitoring agents',
      withField(r, 'spec.monitor', { agent: 'prometheus.io/operator' }),
      codes.unsupported,
      'spec.monitor',
      /dbops serves its own metrics at \/metrics/,
    ],
    [
      'a value other than what dbops does',
      withField(r, 'spec.disableAuth', true),
      codes.unsupported,
      'spec.disableAuth',
      /^true: /,
    ],
    [
      'a virtual secret (a secret store), by name',
      withField(r, 'spec.authSecret', {
        name: 'a',
        apiGroup: 'virtual-secrets.dev',
        kind: 'Secret',
      }),
      codes.unsupported,
      'spec.authSecret.apiGroup',
      /^"virtual-secrets.dev": Secrets from a secret store \(virtual secrets\) are not supported yet/,
    ],
    [
      'a secret store name',
      withField(r, 'spec.authSecret', { name: 'a', secretStoreName: 'vault' }),
      codes.unsupported,
      'spec.authSecret.secretStoreName',
      /virtual secrets/,
    ],
    [
      'Ephemeral storage',
      withField(withField(r, 'spec.storageType', 'Ephemeral'), 'spec.storage', undefined),
      codes.unsupported,
      'spec.storageType',
      /^"Ephemeral": .*not supported yet/,
    ],
    [
      'missing metadata.name',
      withField(r, 'metadata.name', undefined),
      codes.missingField,
      'metadata.name',
      /required/,
    ],
    [
      'name with capitals',
      withField(r, 'metadata.name', 'Cache'),
      codes.invalidName,
      'metadata.name',
      /not a valid name/,
    ],
    [
      'path traversal name',
      withField(r, 'metadata.name', '../etc'),
      codes.invalidName,
      'metadata.name',
      /not a valid name/,
    ],
    [
      'name too long for members',
      withField(r, 'metadata.name', 'a'.repeat(41)),
      codes.invalidName,
      'metadata.name',
      /limited to 40/,
    ],
    [
      'name over 63',
      withField(r, 'metadata.name', 'a'.repeat(64)),
      codes.invalidName,
      'metadata.name',
      /at most 63/,
    ],
    [
      'missing spec',
      withField(r, 'spec', undefined),
      codes.missingField,
      'spec',
      /spec is required/,
    ],
  ])('%s', (_title, doc, code, field, message) => {
    const s = load(doc);
    expect(s.databases.size).toBe(0);
    const err = s.errors.find((e) => e.field === field);
    expect(err, JSON.stringify(s.errors)).toBeDefined();
    expect(err?.code).toBe(code);
    expect(err?.message).toMatch(message);
    expect(err?.file).toBe('databases/db.yaml');
    expect(err?.line).toBeGreaterThan(0);
  });
});
