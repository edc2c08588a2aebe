import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { commitAndPush } from '../../src/source/git-commit.js';
import { packfile } from '../../src/source/git-objects.js';
import { noCommit, pushRef } from '../../src/source/git-receive-pack.js';
import { createGitSource } from '../../src/source/git-source.js';
import { git, pushWithGit, remoteHead, startFixture, type Fixture } from './helpers.js';

const auth = { username: 'bot', password: 'push-secret-123' };
const author = {
  name: 'dbops autoscaler',
  email: 'autoscaler@dbops.local',
  timestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
};

describe('commitAndPush', () => {
  let fx: Fixture;
  let n = 0;
  const make = (path?: string) =>
    createGitSource({
      url: fx.url,
      branch: 'main',
      path,
      auth,
      cacheDir: join(fx.tmp, `cache-${++n}`),
      clock: systemClock,
      log: silentLogger(),
      timeoutMs: 5000,
    });
  const show = (what: string, rev = 'main') =>
    git([`--git-dir=${fx.bareDir}`, 'show', '-s', `--format=${what}`, rev]);
  const cat = (path: string, rev = 'main') =>
    git([`--git-dir=${fx.bareDir}`, 'show', `${rev}:${path}`]);

  beforeAll(async () => {
    fx = await startFixture(
      { 'deploy/databases/cache.yaml': 'kind: Redis\n', 'other/keep.txt': 'x\n' },
      { auth },
    );
  });
  afterAll(() => fx.cleanup());

  it('commits on top of the fetched head and pushes, under the sub-path', async () => {
    const src = make('deploy');
    const before = await src.fetch();
    const res = await commitAndPush(src, {
      files: [
        {
          path: 'ops/20260102-030405-cache-VolumeExpansion.yaml',
          content: 'kind: RedisOpsRequest\n',
        },
      ],
      message: 'ops: expand cache\n\nDatabase: cache',
      author,
    });
    expect(res.ok).toBe(true);
    const head = await remoteHead(fx);
    expect(res).toEqual({ ok: true, revision: head });
    expect(await show('%P')).toBe(before.revision);
    expect(await show('%an <%ae> %at')).toBe(
      `${author.name} <${author.email}> ${author.timestamp / 1000}`,
    );
    expect(await show('%B')).toBe('ops: expand cache\n\nDatabase: cache');
    expect(await cat('deploy/ops/20260102-030405-cache-VolumeExpansion.yaml')).toBe(
      'kind: RedisOpsRequest',
    );
    expect(await cat('deploy/databases/cache.yaml')).toBe('kind: Redis');
    expect(await cat('other/keep.txt')).toBe('x');
    // Native git agrees the object graph is sound.
    await git([`--git-dir=${fx.bareDir}`, 'fsck', '--no-dangling']);
    const after = await src.fetch();
    expect(after.revision).toBe(head);
    expect(after.files.map((f) => f.path)).toContain(
      'ops/20260102-030405-cache-VolumeExpansion.yaml',
    );
  });

  it('commits on a source that has not fetched yet (fetches first)', async () => {
    const src = make();
    const res = await commitAndPush(src, {
      files: [{ path: 'ops/a.yaml', content: 'a: 1\n' }],
      message: 'add a',
      author,
    });
    expect(res).toEqual({ ok: true, revision: await remoteHead(fx) });
    expect(await cat('ops/a.yaml')).toBe('a: 1');
  });

  it('returns a conflict when someone pushed in between, and succeeds after a new fetch', async () => {
    const src = make();
    await src.fetch();
    const theirs = await pushWithGit(fx, { files: { 'databases/theirs.yaml': 'kind: Redis\n' } });
    const intent = {
      files: [{ path: 'ops/mine.yaml', content: 'mine: 1\n' }],
      message: 'mine',
      author,
    };
    expect(await commitAndPush(src, intent)).toEqual({ ok: false, reason: 'conflict' });
    expect(await remoteHead(fx)).toBe(theirs);
    const fresh = await src.fetch();
    expect(fresh.revision).toBe(theirs);
    const res = await commitAndPush(src, intent);
    expect(res.ok).toBe(true);
    expect(await show('%P')).toBe(theirs);
    expect(await cat('databases/theirs.yaml')).toBe('kind: Redis');
    expect(await cat('ops/mine.yaml')).toBe('mine: 1');
  });

  it('returns a conflict for an explicit parent that is no longer the head', async () => {
    const src = make();
    const old = (await src.fetch()).revision;
    await pushWithGit(fx, { files: { 'databases/more.yaml': 'kind: Redis\n' } });
    const fresh = make();
    const res = await commitAndPush(fresh, {
      files: [{ path: 'x.yaml', content: '' }],
      message: 'x',
      author,
      parent: old,
    });
    expect(res).toEqual({ ok: false, reason: 'conflict' });
  });

  it('pushes a review branch from the watched head; a second call finds it and pushes nothing', async () => {
    const src = make();
    const head = (await src.fetch()).revision;
    const req = {
      files: [{ path: 'ops/review.yaml', content: 'r: 1\n' }],
      message: 'review me',
      author,
      branch: 'dbops/cache-20260102-030405',
    };
    const first = await src.commit(req);
    const tip = await show('%H', 'dbops/cache-20260102-030405');
    expect(first).toEqual({ ok: true, revision: tip });
    expect(await show('%P', 'dbops/cache-20260102-030405')).toBe(head);
    expect(await remoteHead(fx)).toBe(head);
    expect(await src.commit(req)).toEqual({ ok: true, revision: tip, existed: true });
  });

  it("comes back refused with the server's reason when a hook declines the push; nothing moves", async () => {
    const hook = join(fx.bareDir, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n', { mode: 0o755 });
    try {
      const src = make();
      const head = (await src.fetch()).revision;
      const res = await src.commit({
        files: [{ path: 'ops/declined.yaml', content: 'd: 1\n' }],
        message: 'declined',
        author,
      });
      expect(res).toMatchObject({ ok: false, reason: 'refused' });
      expect(res.ok === false && res.reason === 'refused' && res.message).toMatch(
        /refused the push to main: pre-receive hook declined/,
      );
      expect(JSON.stringify(res)).not.toContain(auth.password);
      expect(await remoteHead(fx)).toBe(head);
    } finally {
      await rm(hook);
    }
  });

  it('reports a ref created meanwhile as moved: receive-pack checks the old value itself', async () => {
    const src = make();
    const head = (await src.fetch()).revision;
    // The branch exists, but the request says it does not (old = 0...0): a lost race.
    const res = await pushRef(src.remote, {
      ref: 'refs/heads/main',
      old: noCommit,
      next: head,
      pack: packfile([]),
    });
    expect(res).toMatchObject({ ok: false, reason: 'moved' });
    expect(await remoteHead(fx)).toBe(head);
  });

  it('rejects a path that leaves the repository', async () => {
    const src = make();
    await expect(
      commitAndPush(src, { files: [{ path: '../x.yaml', content: '' }], message: 'x', author }),
    ).rejects.toThrow(/no '\.\.'/);
  });
});
