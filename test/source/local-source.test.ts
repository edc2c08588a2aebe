import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../../src/errors.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import {
  createDirectorySource,
  createLocalRepoSource,
  createSource,
} from '../../src/source/local-source.js';
import { git, writeTree } from './helpers.js';

const base = { clock: systemClock, log: silentLogger() };

describe('local repository source', () => {
  let tmp: string;
  let repo: string;
  let committed: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-local-'));
    repo = join(tmp, 'repo');
    await git(['init', '--quiet', '--initial-branch=main', repo]);
    await writeTree(repo, {
      'databases/a.yaml': 'a: 1\n',
      'sub/b.yml': 'b: 1\n',
      'notes.txt': 'no\n',
    });
    await git(['add', '--all'], repo);
    await git(['commit', '--quiet', '-m', 'one'], repo);
    committed = await git(['rev-parse', 'HEAD'], repo);
    await git(['checkout', '--quiet', '-b', 'other'], repo);
    await writeTree(repo, { 'databases/other.yaml': 'o: 1\n' });
    await git(['add', '--all'], repo);
    await git(['commit', '--quiet', '-m', 'two'], repo);
    await git(['checkout', '--quiet', 'main'], repo);
    // Uncommitted edits: a changed file, a new file, a staged file.
    await writeFile(join(repo, 'databases/a.yaml'), 'a: CHANGED\n');
    await writeFile(join(repo, 'databases/new.yaml'), 'new: 1\n');
    await writeTree(repo, { 'databases/staged.yaml': 's: 1\n' });
    await git(['add', 'databases/staged.yaml'], repo);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('reads the committed tree of HEAD only', async () => {
    const snap = await createLocalRepoSource({ dir: repo, ...base }).fetch();
    expect(snap.revision).toBe(committed);
    expect(snap.files.map((f) => [f.path, f.content])).toEqual([
      ['databases/a.yaml', 'a: 1\n'],
      ['sub/b.yml', 'b: 1\n'],
    ]);
  });

  it('reads another branch and a sub-path', async () => {
    const snap = await createLocalRepoSource({
      dir: repo,
      branch: 'other',
      path: 'databases',
      ...base,
    }).fetch();
    expect(snap.revision).toBe(await git(['rev-parse', 'other'], repo));
    expect(snap.files.map((f) => f.path)).toEqual(['a.yaml', 'other.yaml']);
  });

  it('reads a bare repository', async () => {
    const bare = join(tmp, 'bare.git');
    await git(['clone', '--quiet', '--bare', repo, bare]);
    const snap = await createSource({ repo: bare, cacheDir: join(tmp, 'c'), ...base }).fetch();
    expect(snap.revision).toBe(committed);
  });

  it('names the branches when the branch is missing', async () => {
    const err = await createLocalRepoSource({ dir: repo, branch: 'nope', ...base })
      .fetch()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: codes.sourceRef });
    expect((err as Error).message).toMatch(/branches: main, other|branches: other, main/);
  });
});

describe('directory source', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-dir-'));
    await writeTree(tmp, {
      'b.yaml': 'b: 1\n',
      'a/z.yml': 'z: 1\n',
      'a/big.yaml': 'x'.repeat(100),
      '.git/config.yaml': 'hidden: 1\n',
      'readme.md': 'no\n',
    });
    await symlink(join(tmp, 'b.yaml'), join(tmp, 'link.yaml'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('reads manifests on disk, sorted, with a content digest as revision', async () => {
    const src = createDirectorySource({ dir: tmp, clock: systemClock, maxFileBytes: 50 });
    const snap = await src.fetch();
    expect(snap.files.map((f) => [f.path, f.content, f.size])).toEqual([
      ['a/big.yaml', null, 100],
      ['a/z.yml', 'z: 1\n', 5],
      ['b.yaml', 'b: 1\n', 5],
      ['link.yaml', 'b: 1\n', 5],
    ]);
    expect(snap.revision).toMatch(/^local:[0-9a-f]{64}$/);
    expect((await src.fetch()).revision).toBe(snap.revision);
    await writeFile(join(tmp, 'b.yaml'), 'b: 2\n');
    expect((await src.fetch()).revision).not.toBe(snap.revision);
  });

  it('reads a sub-path, and fails with a usage error for a missing directory', async () => {
    const snap = await createDirectorySource({ dir: tmp, path: 'a', clock: systemClock }).fetch();
    expect(snap.files.map((f) => f.path)).toEqual(['big.yaml', 'z.yml']);
    await expect(
      createDirectorySource({ dir: join(tmp, 'nope'), clock: systemClock }).fetch(),
    ).rejects.toMatchObject({
      code: codes.usage,
    });
  });
});

describe('createSource', () => {
  it.each([
    ['file:///srv/repo.git'],
    ['git://example.com/repo.git'],
    ['ssh://git@example.com/repo.git'],
    ['git@github.com:org/repo.git'],
  ])('refuses %s with a usage error that explains what to do', (repo) => {
    let err: unknown;
    try {
      createSource({ repo, cacheDir: '/tmp/unused', ...base });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: codes.usage });
    expect((err as Error).message).toMatch(/smart HTTP/);
    expect((err as { hint: string }).hint).toMatch(/serve it over http|local path/);
  });

  it('picks the git source for http(s) URLs without showing credentials', () => {
    const src = createSource({
      repo: 'https://u:pw@example.com/r.git',
      cacheDir: '/tmp/unused',
      ...base,
    });
    expect(src.description).toBe('https://example.com/r.git#HEAD:/');
  });

  it('refuses a plain directory unless allowed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbops-plain-'));
    try {
      expect(() => createSource({ repo: dir, cacheDir: '/tmp/unused', ...base })).toThrow(
        /not a Git repository/,
      );
      const src = createSource({
        repo: dir,
        cacheDir: '/tmp/unused',
        allowDirectory: true,
        ...base,
      });
      expect((await src.fetch()).revision).toMatch(/^local:/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
