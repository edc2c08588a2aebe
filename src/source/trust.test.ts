import { describe, expect, it } from 'vitest';
import { botPaths, checkCommitScope, describeScope, globProblem, matchesGlob } from './trust.js';
import type { ChangedPath, KeyScope, PathRule } from './trust.js';

describe('matchesGlob', () => {
  it.each([
    ['ops/**', 'ops/a.yaml', true],
    ['ops/**', 'ops/2026/a.yaml', true],
    ['ops/**', 'ops', false],
    ['ops/**', 'opsx/a.yaml', false],
    ['ops/**', 'databases/ops/a.yaml', false],
    ['**', 'anything/at/all.txt', true],
    ['**/*.yaml', 'a.yaml', true],
    ['**/*.yaml', 'x/y/a.yaml', true],
    ['**/*.yaml', 'x/y/a.yml', false],
    ['databases/*.yaml', 'databases/cache.yaml', true],
    ['databases/*.yaml', 'databases/sub/cache.yaml', false],
    ['a/**/b.txt', 'a/b.txt', true],
    ['a/**/b.txt', 'a/x/y/b.txt', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
  ])('%s against %s is %s', (pattern, path, want) => {
    expect(matchesGlob(path, pattern)).toBe(want);
  });
});

describe('globProblem', () => {
  it.each([
    ['ops/**', undefined],
    ['**', undefined],
    ['databases/*.yaml', undefined],
    ['', /empty/],
    ['/ops/**', /no leading \//],
    ['ops/', /write ops\/\*\*/],
    ['ops/{a,b}', /only \*, \? and \*\*/],
    ['ops/[ab]', /only \*, \? and \*\*/],
    ['ops//a', /empty, \. or \.\. segments/],
    ['../x', /empty, \. or \.\. segments/],
    ['ops/**.yaml', /whole segment/],
  ])('%j', (pattern, want) => {
    const got = globProblem(pattern);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(want);
  });
});

const bot: KeyScope = { name: 'dbops-bot', paths: botPaths };
const human: KeyScope = {
  name: 'alice',
  paths: [{ pattern: '**', changes: ['add', 'modify', 'delete'] }],
};
const mixed: KeyScope = {
  name: 'docs',
  paths: [
    { pattern: 'docs/**', changes: ['add', 'modify'] },
    { pattern: 'ops/**', changes: ['add'] },
  ],
};
const add = (path: string): ChangedPath => ({ path, change: 'add' });
const modify = (path: string): ChangedPath => ({ path, change: 'modify' });
const del = (path: string): ChangedPath => ({ path, change: 'delete' });

describe('checkCommitScope', () => {
  it.each<[string, KeyScope, ChangedPath[], string | undefined]>([
    ['no changes', bot, [], undefined],
    ['bot adds under ops/', bot, [add('ops/20260101-cache-VolumeExpansion.yaml')], undefined],
    ['bot adds in a subfolder of ops/', bot, [add('ops/2026/a.yaml')], undefined],
    [
      'bot edits a database',
      bot,
      [modify('databases/cache.yaml')],
      'modifies databases/cache.yaml, outside its paths (adds ops/**)',
    ],
    [
      'bot adds a database',
      bot,
      [add('databases/new.yaml')],
      'adds databases/new.yaml, outside its paths (adds ops/**)',
    ],
    [
      'bot modifies an existing ops file',
      bot,
      [modify('ops/a.yaml')],
      'modifies ops/a.yaml, outside its paths (adds ops/**)',
    ],
    [
      'bot deletes an ops file',
      bot,
      [del('ops/a.yaml')],
      'deletes ops/a.yaml, outside its paths (adds ops/**)',
    ],
    [
      'the first bad change is named',
      bot,
      [add('ops/a.yaml'), modify('x.yaml'), del('y.yaml')],
      'modifies x.yaml, outside its paths (adds ops/**)',
    ],
    ['human changes anything', human, [add('a'), modify('b/c.yaml'), del('ops/x')], undefined],
    ['mixed: modify docs', mixed, [modify('docs/readme.md'), add('ops/b.yaml')], undefined],
    [
      'mixed: delete docs',
      mixed,
      [del('docs/readme.md')],
      'deletes docs/readme.md, outside its paths (adds or modifies docs/**; adds ops/**)',
    ],
    [
      'no paths at all',
      { name: 'x', paths: [] },
      [add('a')],
      'adds a, outside its paths (nothing)',
    ],
  ])('%s', (_name, key, changes, reason) => {
    expect(checkCommitScope(changes, key)).toEqual(
      reason === undefined ? { ok: true } : { ok: false, reason },
    );
  });
});

describe('describeScope', () => {
  it.each<[PathRule[], string]>([
    [[{ pattern: '**', changes: ['delete', 'add', 'modify'] }], 'changes **'],
    [[{ pattern: 'a/**', changes: ['delete', 'add'] }], 'adds or deletes a/**'],
    [[], 'nothing'],
  ])('%j', (paths, want) => {
    expect(describeScope(paths)).toBe(want);
  });
});
