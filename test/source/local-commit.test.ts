import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createDirectorySource, createSource } from '../../src/source/local-source.js';
import type { CommitRequest } from '../../src/source/source.js';
import { git, writeTree } from './helpers.js';

const base = { clock: systemClock, log: silentLogger(), cacheDir: '/nonexistent' };
const author = { name: 'dbops bot', email: 'bot@dbops.local', timestamp: Date.UTC(2026, 5, 1) };
const request = (path: string, extra: Partial<CommitRequest> = {}): CommitRequest => ({
  files: [{ path, content: `kind: RedisOpsRequest # ${path}\n` }],
  message: `add ${path}\n\nDbops-Database: cache`,
  author,
  ...extra,
});

describe('commits to a local repository', () => {
  let tmp: string;
  let work: string;
  let bare: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-local-commit-'));
    work = join(tmp, 'work');
    await git(['init', '--quiet', '--initial-branch=main', work]);
    await writeTree(work, { 'deploy/databases/cache.yaml': 'kind: Redis\n', README: 'r\n' });
    await git(['add', '--all'], work);
    await git(['commit', '--quiet', '-m', 'seed'], work);
    await git(['branch', 'desired'], work);
    bare = join(tmp, 'bare.git');
    await git(['clone', '--quiet', '--bare', work, bare]);
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('commits to a bare repository: the branch moves, the tree keeps every other file', async () => {
    const src = createSource({ ...base, repo: bare, branch: 'main', path: 'deploy' });
    const before = await src.fetch();
    const res = await src.commit(request('ops/a.yaml', { parent: before.revision }));
    const head = await git(['--git-dir', bare, 'rev-parse', 'main']);
    expect(res).toEqual({ ok: true, revision: head });
    expect(
      await git(['--git-dir', bare, 'show', '-s', '--format=%P|%an <%ae>|%at|%B', 'main']),
    ).toBe(
      `${before.revision}|dbops bot <bot@dbops.local>|${author.timestamp / 1000}|add ops/a.yaml\n\nDbops-Database: cache`,
    );
    expect(await git(['--git-dir', bare, 'show', 'main:deploy/ops/a.yaml'])).toContain(
      'ops/a.yaml',
    );
    expect(await git(['--git-dir', bare, 'show', 'main:README'])).toBe('r');
    await git(['--git-dir', bare, 'fsck', '--no-dangling']);
    expect((await src.fetch()).files.map((f) => f.path)).toContain('ops/a.yaml');
  });

  it('returns a conflict when the branch moved past the parent, and lands on the new head', async () => {
    const src = createSource({ ...base, repo: bare, branch: 'main' });
    const old = (await src.fetch()).revision;
    await src.commit(request('ops/theirs.yaml'));
    expect(await src.commit(request('ops/mine.yaml', { parent: old }))).toEqual({
      ok: false,
      reason: 'conflict',
    });
    const fresh = (await src.fetch()).revision;
    const res = await src.commit(request('ops/mine.yaml', { parent: fresh }));
    expect(res.ok).toBe(true);
    expect(await git(['--git-dir', bare, 'rev-parse', 'main^'])).toBe(fresh);
  });

  it('returns a conflict while another writer holds the ref lock, and leaves its lock alone', async () => {
    const src = createSource({ ...base, repo: bare, branch: 'main' });
    const head = (await src.fetch()).revision;
    const lock = join(bare, 'refs', 'heads', 'main.lock');
    await writeFile(lock, '');
    try {
      expect(await src.commit(request('ops/locked.yaml'))).toEqual({
        ok: false,
        reason: 'conflict',
      });
      expect(await git(['--git-dir', bare, 'rev-parse', 'main'])).toBe(head);
    } finally {
      await rm(lock);
    }
  });

  it('creates a review branch from the watched head; a second call finds it and makes nothing', async () => {
    const src = createSource({ ...base, repo: bare, branch: 'main' });
    const head = (await src.fetch()).revision;
    const req = request('ops/review.yaml', { branch: 'dbops/cache-20260601-000000' });
    const first = await src.commit(req);
    const tip = await git(['--git-dir', bare, 'rev-parse', 'dbops/cache-20260601-000000']);
    expect(first).toEqual({ ok: true, revision: tip });
    expect(await git(['--git-dir', bare, 'rev-parse', 'main'])).toBe(head);
    expect(await git(['--git-dir', bare, 'rev-parse', `${tip}^`])).toBe(head);
    expect(await src.commit(req)).toEqual({ ok: true, revision: tip, existed: true });
  });

  it('refuses the checked-out branch of a work tree and changes nothing there', async () => {
    const src = createSource({ ...base, repo: work, branch: 'main' });
    const head = await git(['rev-parse', 'HEAD'], work);
    const res = await src.commit(request('deploy/ops/x.yaml'));
    expect(res).toMatchObject({ ok: false, reason: 'refused' });
    expect(res.ok === false && res.reason === 'refused' && res.message).toMatch(
      /branch 'main' is checked out in .*work/,
    );
    expect(await git(['rev-parse', 'HEAD'], work)).toBe(head);
    expect(await git(['status', '--porcelain'], work)).toBe('');
  });

  it('refuses HEAD of a work tree when no branch is given (HEAD is checked out)', async () => {
    const src = createSource({ ...base, repo: work });
    expect(await src.commit(request('x.yaml'))).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('commits to a branch of a work tree that is not checked out, leaving the work tree and index alone', async () => {
    await writeFile(join(work, 'README'), 'edited, not staged\n');
    const src = createSource({ ...base, repo: work, branch: 'desired', path: 'deploy' });
    const res = await src.commit(request('ops/b.yaml'));
    expect(res.ok).toBe(true);
    expect(await git(['show', 'desired:deploy/ops/b.yaml'], work)).toContain('ops/b.yaml');
    expect(await git(['status', '--porcelain'], work)).toBe('M README');
    expect(await git(['ls-files'], work)).not.toContain('deploy/ops/b.yaml');
  });

  it('refuses a branch checked out in a linked work tree', async () => {
    const linked = join(tmp, 'linked');
    await git(['worktree', 'add', '--quiet', '-b', 'elsewhere', linked], work);
    const src = createSource({ ...base, repo: work, branch: 'elsewhere' });
    const res = await src.commit(request('x.yaml'));
    expect(res).toMatchObject({ ok: false, reason: 'refused' });
    expect(res.ok === false && res.reason === 'refused' && res.message).toMatch(/checked out in/);
  });

  it('a plain directory refuses commits with what to do', async () => {
    const dir = join(tmp, 'plain');
    await writeTree(dir, { 'a.yaml': 'a: 1\n' });
    const src = createDirectorySource({ dir, clock: systemClock });
    expect(await src.commit(request('ops/x.yaml'))).toMatchObject({
      ok: false,
      reason: 'refused',
      hint: expect.stringMatching(/git init/) as unknown,
    });
  });

  it('rejects a path that leaves the repository before writing anything', async () => {
    const src = createSource({ ...base, repo: bare, branch: 'main' });
    const head = await git(['--git-dir', bare, 'rev-parse', 'main']);
    await expect(src.commit(request('../escape.yaml'))).rejects.toThrow(/'\.\.'/);
    expect(await git(['--git-dir', bare, 'rev-parse', 'main'])).toBe(head);
  });
});
