import { describe, expect, it } from 'vitest';
import { isManifestPath, normalizeSubPath } from './git-tree.js';
import { repoKind } from './local-source.js';

describe('normalizeSubPath', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['.', ''],
    ['deploy/prod/', 'deploy/prod'],
    ['./deploy//prod', 'deploy/prod'],
    ['deploy\\prod', 'deploy/prod'],
  ])('%s -> %s', (path, want) => {
    expect(normalizeSubPath(path)).toBe(want);
  });

  it.each([['/etc'], ['..'], ['a/../../b'], ['C:\\x'], ['a\0b']])('refuses %j', (path) => {
    expect(() => normalizeSubPath(path)).toThrow(/relative|inside/);
  });
});

describe('isManifestPath', () => {
  it.each([
    ['a.yaml', true],
    ['a/b.YML', true],
    ['a.yaml.bak', false],
    ['README.md', false],
  ])('%s -> %s', (p, want) => {
    expect(isManifestPath(p)).toBe(want);
  });
});

describe('repoKind', () => {
  it.each([
    ['https://github.com/o/r.git', 'http'],
    ['HTTP://host/r', 'http'],
    ['file:///srv/r.git', 'unsupported-url'],
    ['git://host/r.git', 'unsupported-url'],
    ['ssh://git@host/r.git', 'unsupported-url'],
    ['git@github.com:o/r.git', 'unsupported-url'],
    ['./desired', 'path'],
    ['/srv/desired', 'path'],
    ['desired', 'path'],
  ])('%s -> %s', (repo, want) => {
    expect(repoKind(repo)).toBe(want);
  });
});
