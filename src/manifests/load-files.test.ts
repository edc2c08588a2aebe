import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { maxManifestBytes } from '../api/manifest-file.js';
import { postgresDoc, redisDoc, textFile, withField, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';
import type { SourceFile } from '../api/manifest-file.js';

const load = (...files: SourceFile[]) => loadDesiredState({ revision: 'r1', files });
const aliasBomb = [
  'a: &a [x, x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
].join('\n');

describe('file-level problems', () => {
  it.each([
    [
      'YAML syntax error',
      textFile('bad.yaml', 'kind: Redis\nmetadata: {name: x\n'),
      codes.yamlSyntax,
      3,
    ],
    ['duplicate keys', textFile('bad.yaml', 'kind: Redis\nkind: Postgres\n'), codes.yamlSyntax, 2],
    ['alias bomb', textFile('bad.yaml', aliasBomb), codes.yamlAliases, 1],
    [
      'oversized file',
      { path: 'big.yaml', size: maxManifestBytes + 1, content: null },
      codes.fileTooLarge,
      1,
    ],
    ['a list, not a mapping', textFile('bad.yaml', '- a\n- b\n'), codes.invalidField, 1],
    ['a scalar', textFile('bad.yaml', 'hello\n'), codes.invalidField, 1],
    [
      'missing kind',
      textFile('bad.yaml', 'apiVersion: v1\nmetadata: {name: x}\n'),
      codes.missingField,
      1,
    ],
    [
      'unknown kind',
      textFile('bad.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n'),
      codes.unknownKind,
      2,
    ],
  ])(
    '%s: an unattributed error makes the state incomplete, other files still load',
    (_title, bad, code, line) => {
      const s = load(bad, yamlFile('databases/ok.yaml', redisDoc('ok')));
      expect(s.errors).toHaveLength(1);
      expect(s.errors[0]).toMatchObject({ code, file: bad.path, line });
      expect(s.errors[0]?.database).toBeUndefined();
      expect(s.incomplete).toBe(true);
      expect([...s.databases.keys()]).toEqual(['ok']);
    },
  );

  it('names accepted kinds and suggests the closest', () => {
    const s = load(
      textFile('x.yaml', 'apiVersion: kubedb.com/v1\nkind: Rediss\nmetadata: {name: x}\n'),
    );
    expect(s.errors[0]?.message).toMatch(
      /unknown kind "Rediss". Did you mean "Redis"\? dbops reads Redis \(kubedb.com\/v1, kubedb.com\/v1alpha2 or gitops.kubedb.com\/v1alpha1\)/,
    );
  });

  it.each([
    [
      'Redis',
      'apps/v1',
      /a Redis must use apiVersion kubedb.com\/v1, kubedb.com\/v1alpha2 or gitops.kubedb.com\/v1alpha1, got "apps\/v1"/,
    ],
    [
      'RedisOpsRequest',
      'kubedb.com/v1',
      /a RedisOpsRequest must use apiVersion ops.kubedb.com\/v1alpha1/,
    ],
    ['PostgresAutoscaler', 'autoscaling.kubedb.com/v1', /autoscaling.kubedb.com\/v1alpha1/],
  ])('%s with apiVersion %s is rejected with the accepted values', (kind, apiVersion, message) => {
    const s = load(
      textFile(
        'x.yaml',
        `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\nspec: {databaseRef: {name: x}}\n`,
      ),
    );
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({
      code: codes.unknownApiVersion,
      field: 'apiVersion',
      line: 1,
      column: 13,
      database: 'x',
    });
    expect(s.errors[0]?.message).toMatch(message);
  });

  it('reads multi-document files, skips empty documents and non-YAML files', () => {
    const s = load(
      textFile(
        'all.yml',
        `---\n# nothing\n---\n${yamlFile('', redisDoc('a')).content}---\n---\n${yamlFile('', postgresDoc('b')).content}`,
      ),
      textFile('README.md', 'kind: Redis'),
    );
    expect(s.errors).toEqual([]);
    expect([...s.databases.keys()].sort()).toEqual(['a', 'b']);
    expect(s.databases.get('b')?.origin).toEqual({ file: 'all.yml', line: 16 });
  });

  it('fills Origin.commit from commitOf', () => {
    const s = loadDesiredState({
      revision: 'r',
      files: [yamlFile('databases/a.yaml', redisDoc('a'))],
      commitOf: (p) => (p === 'databases/a.yaml' ? 'c0ffee' : undefined),
    });
    expect(s.databases.get('a')?.origin).toEqual({
      file: 'databases/a.yaml',
      line: 1,
      commit: 'c0ffee',
    });
    expect(s.databases.get('a')?.provenance['spec.version']?.commit).toBe('c0ffee');
  });

  it('one bad document does not hide errors in the others, and errors are sorted by file, line, column', () => {
    const s = load(
      yamlFile('z.yaml', withField(redisDoc('z'), 'spec.version', 1)),
      yamlFile(
        'a.yaml',
        withField(redisDoc('a'), 'spec.mode', 'X'),
        withField(postgresDoc('b'), 'spec.replicas', -1),
      ),
      yamlFile('m.yaml', redisDoc('m')),
    );
    expect(s.errors.map((e) => [e.file, e.database, e.field])).toEqual([
      ['a.yaml', 'a', 'spec.mode'],
      ['a.yaml', 'b', 'spec.replicas'],
      ['z.yaml', 'z', 'spec.version'],
    ]);
    expect([...s.databases.keys()]).toEqual(['m']);
    expect([...s.invalid.keys()].sort()).toEqual(['a', 'b', 'z']);
    expect(s.incomplete).toBe(false);
  });
});

describe('duplicate database names', () => {
  it('reports both files, attributed to the name, whatever the kinds; other databases go on', () => {
    const s = load(
      yamlFile('databases/a.yaml', redisDoc('shared')),
      yamlFile('databases/b.yaml', postgresDoc('shared')),
      yamlFile('databases/c.yaml', redisDoc('other')),
    );
    expect(s.errors.map((e) => [e.code, e.file, e.database])).toEqual([
      [codes.duplicateName, 'databases/a.yaml', 'shared'],
      [codes.duplicateName, 'databases/b.yaml', 'shared'],
    ]);
    expect(s.errors[0]?.message).toMatch(/also defined in databases\/b.yaml:1 \(Postgres\)/);
    expect([...s.databases.keys()]).toEqual(['other']);
  });
});
