import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { redisDoc, textFile, withField, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';
import type { SourceFile } from '../api/manifest-file.js';

const load = (...files: SourceFile[]) => loadDesiredState({ revision: 'r1', files });
const loadDoc = (doc: unknown) => load(yamlFile('databases/db.yaml', doc));

describe('line and column', () => {
  const text = [
    'apiVersion: kubedb.com/v1', // 1
    'kind: Redis', // 2
    'metadata:', // 3
    '  name: cache', // 4
    'spec:', // 5
    '  version: 7.2.4', // 6
    '  mode: Cluster', // 7
    '  cluster:', // 8
    '    shards: -2', // 9
    '  storage:', // 10
    '    resources:', // 11
    '      requests:', // 12
    '        storage: 1.3Ki', // 13
    '  halted: nope', // 14
    '  unknownThing: 1', // 15
    '',
  ].join('\n');

  it.each([
    ['spec.cluster.shards', 9, 13],
    ['spec.storage.resources.requests.storage', 13, 18],
    ['spec.halted', 14, 11],
    ['spec.unknownThing', 15, 3],
  ])('%s at %d:%d', (field, line, column) => {
    const s = load(textFile('databases/cache.yaml', text));
    const err = s.errors.find((e) => e.field === field);
    expect(err).toMatchObject({ line, column, database: 'cache' });
  });

  it('points a missing field at its nearest existing parent', () => {
    const s = load(
      textFile(
        'databases/cache.yaml',
        'apiVersion: kubedb.com/v1\nkind: Redis\nmetadata:\n  name: cache\nspec:\n  version: "7"\n  storage:\n    storageClassName: x\n',
      ),
    );
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({
      field: 'spec.storage.resources.requests.storage',
      line: 8,
      column: 5,
    });
  });

  it('attributes errors to the database when the name is valid, and is incomplete otherwise', () => {
    const named = loadDoc(withField(redisDoc('cache'), 'spec.version', undefined));
    expect(named.incomplete).toBe(false);
    expect([...named.invalid.keys()]).toEqual(['cache']);
    const unnamed = loadDoc(withField(redisDoc('cache'), 'metadata.name', '../etc'));
    expect(unnamed.incomplete).toBe(true);
    expect(unnamed.invalid.size).toBe(0);
  });

  it('points config errors in a block scalar at the offending line', () => {
    const text = [
      'apiVersion: kubedb.com/v1',
      'kind: Redis',
      'metadata: { name: cache }',
      'spec:',
      '  version: 7.2.4',
      '  storage: { resources: { requests: { storage: 1Gi } } }',
      '  configuration:',
      '    inline:',
      '      redis.conf: |',
      '        maxmemory 1mb',
      '        include /etc/passwd',
      '',
    ].join('\n');
    const s = load(textFile('db.yaml', text));
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({
      code: codes.forbiddenConfig,
      line: 11,
      column: 9,
      database: 'cache',
    });
  });
});
