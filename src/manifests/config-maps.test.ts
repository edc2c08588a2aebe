import { describe, expect, it } from 'vitest';
import { initScriptProblem, initScriptsOf, readConfigMap } from './config-maps.js';

describe('readConfigMap', () => {
  it.each([
    [
      'as kubectl writes it',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'pg-init' },
        data: { 'a.sql': 'select 1;' },
      },
      [],
    ],
    [
      'no data: an empty ConfigMap',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      [],
    ],
    [
      'another apiVersion',
      { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      ['apiVersion'],
    ],
    ['no name', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, ['metadata.name']],
    [
      'binaryData',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x' },
        binaryData: { 'a.sql.gz': 'H4sI' },
      },
      ['binaryData'],
    ],
    [
      'a value that is not text',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { n: 5 } },
      ['data.n'],
    ],
    [
      'data as a list',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: ['a'] },
      ['data'],
    ],
  ])('%s', (_, doc, paths) => {
    const r = readConfigMap(doc);
    expect(r.problems.map((p) => p.path.join('.'))).toEqual(paths);
    expect(r.configMap === undefined).toBe(paths.length > 0);
  });
});

describe('init scripts of a ConfigMap', () => {
  it.each([
    ['init.sql', undefined],
    ['init.sh', /is a shell script/],
    ['dump.sql.gz', /is compressed/],
    ['README.md', /is not a .sql file/],
  ])('%s', (key, want) => {
    const why = initScriptProblem(key);
    if (want === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(want);
  });

  it('orders the files by key, and the digest follows keys and contents', () => {
    const origin = { file: 'databases/pg-init.yaml', line: 1 };
    const a = initScriptsOf({ name: 'pg-init', data: { 'b.sql': 'B', 'a.sql': 'A' } }, origin);
    expect(a.files.map((f) => f.key)).toEqual(['a.sql', 'b.sql']);
    const same = initScriptsOf({ name: 'pg-init', data: { 'a.sql': 'A', 'b.sql': 'B' } }, origin);
    const edited = initScriptsOf({ name: 'pg-init', data: { 'a.sql': 'A', 'b.sql': 'C' } }, origin);
    const moved = initScriptsOf({ name: 'pg-init', data: { 'a.sql': 'AB', 'b.sql': '' } }, origin);
    expect(same.digest).toBe(a.digest);
    expect(edited.digest).not.toBe(a.digest);
    expect(moved.digest).not.toBe(a.digest);
  });
});
