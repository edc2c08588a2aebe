import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, DbopsError } from '../../src/errors.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { cachePath } from '../../src/source/git-cache.js';
import { createGitSource } from '../../src/source/git-source.js';
import {
  capturingLogger,
  git,
  pushWithGit,
  remoteHead,
  startFixture,
  type Fixture,
} from './helpers.js';

const seed = {
  'databases/cache.yaml': 'kind: Redis\nmetadata: {name: cache}\n',
  'databases/pg.yml': 'kind: Postgres\n',
  'README.md': '# not a manifest\n',
  'deploy/prod/db.yaml': 'kind: Redis\nmetadata: {name: prod}\n',
  'deploy/prod/nested/more.yaml': 'a: 1\n',
  'deploy/staging/db.yaml': 'kind: Redis\n',
};

describe('git source over smart HTTP', () => {
  let fx: Fixture;
  let cacheRoot: string;
  const make = (extra: Partial<Parameters<typeof createGitSource>[0]> = {}) =>
    createGitSource({
      url: fx.url,
      cacheDir: cacheRoot,
      clock: systemClock,
      log: silentLogger(),
      timeoutMs: 5000,
      ...extra,
    });

  beforeAll(async () => {
    fx = await startFixture(seed);
    cacheRoot = await mkdtemp(join(tmpdir(), 'dbops-cache-'));
  });
  afterAll(async () => {
    await fx.cleanup();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  it('clones the default branch and reads only manifests, sorted, with blob ids', async () => {
    const src = make();
    const snap = await src.fetch();
    expect(snap.revision).toBe(await remoteHead(fx));
    expect(snap.files.map((f) => f.path)).toEqual([
      'databases/cache.yaml',
      'databases/pg.yml',
      'deploy/prod/db.yaml',
      'deploy/prod/nested/more.yaml',
      'deploy/staging/db.yaml',
    ]);
    const cache = snap.files[0]!;
    expect(cache.content).toBe(seed['databases/cache.yaml']);
    expect(cache.size).toBe(Buffer.byteLength(seed['databases/cache.yaml']));
    expect(cache.oid).toMatch(/^[0-9a-f]{40}$/);
    expect(src.description).toBe(`${fx.url}#HEAD:/`);
    await src.close();
  });

  it('sees a commit pushed with plain git on the next fetch, and deletions too', async () => {
    const src = make({ branch: 'main' });
    const before = await src.fetch();
    const pushed = await pushWithGit(fx, {
      files: { 'databases/new.yaml': 'kind: Redis\n' },
      remove: ['databases/pg.yml'],
    });
    const after = await src.fetch();
    expect(after.revision).toBe(pushed);
    expect(after.revision).not.toBe(before.revision);
    const paths = after.files.map((f) => f.path);
    expect(paths).toContain('databases/new.yaml');
    expect(paths).not.toContain('databases/pg.yml');
  });

  it('fetches incrementally on a depth-1 clone: the shallow list stays one line, only new commits come, each in its own fetch', async () => {
    const cacheDir = join(cacheRoot, 'incremental');
    const src = make({ branch: 'main', cacheDir });
    const first = (await src.fetch()).revision;
    let head = '';
    for (let i = 0; i < 3; i++) {
      head = await pushWithGit(fx, { files: { [`databases/n${i}.yaml`]: 'kind: Redis\n' } });
      expect((await src.fetch()).revision).toBe(head);
    }
    const gitdir = cachePath(cacheDir, fx.url, 'main');
    expect((await readFile(join(gitdir, 'shallow'), 'utf8')).trim().split('\n')).toEqual([first]);
    // The cache holds the three new commits on top of the clone's, and nothing older.
    const log = (await git([`--git-dir=${gitdir}`, 'rev-list', head])).split('\n');
    expect(log).toHaveLength(4);
    expect(log.at(-1)).toBe(first);
    // Each fetch's pack holds its own new commit only: the fetch offers the latest head as
    // what the cache has, not the clone's (which made every fetch bring every commit since).
    const packDir = join(gitdir, 'objects', 'pack');
    const idx = (await readdir(packDir)).filter((f) => f.endsWith('.idx'));
    const commitsPerPack = await Promise.all(
      idx.map(async (f) => {
        const listing = await git(['verify-pack', '-v', join(packDir, f)]);
        return listing.split('\n').filter((l) => / commit /.test(l)).length;
      }),
    );
    expect(commitsPerPack).toEqual([1, 1, 1, 1]);
    await src.close();
  });

  it('selects a branch and a sub-path', async () => {
    const head = await pushWithGit(fx, {
      branch: 'staging',
      files: { 'deploy/prod/db.yaml': 'kind: Postgres\n' },
    });
    const src = make({ branch: 'staging', path: 'deploy/prod/' });
    const snap = await src.fetch();
    expect(snap.revision).toBe(head);
    expect(snap.files.map((f) => [f.path, f.content])).toEqual([
      ['db.yaml', 'kind: Postgres\n'],
      ['nested/more.yaml', 'a: 1\n'],
    ]);
    expect(src.description).toBe(`${fx.url}#staging:/deploy/prod`);
  });

  it('rejects a path that leaves the repository, and reports a missing one', async () => {
    expect(() => make({ path: '../etc' })).toThrow(/no '\.\.'/);
    expect(() => make({ path: '/etc' })).toThrow(/relative/);
    await expect(make({ path: 'nope' }).fetch()).rejects.toMatchObject({ code: codes.sourceRef });
  });

  it('names the existing branches when the branch is missing', async () => {
    const err = (await make({ branch: 'nope' })
      .fetch()
      .catch((e: unknown) => e)) as DbopsError;
    expect(err).toBeInstanceOf(DbopsError);
    expect(err.code).toBe(codes.sourceRef);
    expect(err.message).toMatch(/branch 'nope' does not exist/);
    expect(err.message).toMatch(/main/);
  });

  it('returns null content (with the size) for files over the limit', async () => {
    const src = make({ branch: 'main', maxFileBytes: 15 });
    const snap = await src.fetch();
    const big = snap.files.find((f) => f.path === 'databases/cache.yaml')!;
    expect(big.content).toBeNull();
    expect(big.size).toBe(Buffer.byteLength(seed['databases/cache.yaml']));
    expect(snap.files.find((f) => f.path === 'deploy/prod/nested/more.yaml')?.content).toBe(
      'a: 1\n',
    );
  });

  it('follows a force-push that rewrote the head', async () => {
    const src = make({ branch: 'main' });
    await pushWithGit(fx, { files: { 'databases/temp.yaml': 'x: 1\n' } });
    const first = await src.fetch();
    const rewritten = await pushWithGit(fx, {
      files: { 'databases/temp.yaml': 'x: 2\n' },
      amend: true,
      force: true,
    });
    const second = await src.fetch();
    expect(second.revision).toBe(rewritten);
    expect(second.revision).not.toBe(first.revision);
    expect(second.files.find((f) => f.path === 'databases/temp.yaml')?.content).toBe('x: 2\n');
  });

  it('recovers from a half-written cache (a clone killed mid-way)', async () => {
    const dir = cachePath(cacheRoot, fx.url, 'main');
    await rm(dir, { recursive: true, force: true });
    // What a kill -9 leaves: a cache dir with a partial .git layout and a stale temp dir.
    await mkdir(join(dir, 'objects/pack'), { recursive: true });
    await writeFile(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(dir, 'objects/pack/pack-partial.pack'), 'PACK\0\0');
    await mkdir(`${dir}.tmp-deadbeef/objects`, { recursive: true });
    const cap = capturingLogger();
    const snap = await make({ branch: 'main', log: cap.log }).fetch();
    expect(snap.revision).toBe(await remoteHead(fx));
    expect(snap.files.length).toBeGreaterThan(0);
    expect(cap.output()).toMatch(/half-written; recloning/);
    const left = await readdir(cacheRoot);
    expect(left.filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('recovers, after a restart, when the packs of a complete cache are torn', async () => {
    await make({ branch: 'main' }).fetch();
    // A new source, as after a restart: a running one reads the packs it parsed from memory.
    const cap = capturingLogger();
    const src = make({ branch: 'main', log: cap.log });
    const dir = cachePath(cacheRoot, fx.url, 'main');
    // Torn packs whose indexes still promise every object.
    const packDir = join(dir, 'objects/pack');
    for (const name of await readdir(packDir)) {
      if (name.endsWith('.pack')) await writeFile(join(packDir, name), 'PACK\x00\x00\x00\x02');
    }
    const snap = await src.fetch();
    expect(snap.revision).toBe(await remoteHead(fx));
    expect(cap.output()).toMatch(/recloning/);
    // Still a shallow clone: one commit of history, whatever the remote holds.
    expect((await readFile(join(dir, 'shallow'), 'utf8')).trim()).toBe(snap.revision);
  });
});
