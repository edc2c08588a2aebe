import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { cachePath } from '../../src/source/git-cache.js';
import { appendNote, formatOperationNote, notesRef } from '../../src/source/git-notes.js';
import { createGitSource } from '../../src/source/git-source.js';
import { git, pushWithGit, remoteHead, startFixture, type Fixture } from './helpers.js';

const exec = promisify(execFile);
const auth = { username: 'bot', password: 'notes-secret-456' };
const author = { name: 'dbops', email: 'dbops@dbops.local', timestamp: Date.UTC(2026, 0, 2, 3) };

const op = (id: string, phase = 'Successful') =>
  formatOperationNote({
    id,
    database: 'cache',
    type: 'VolumeExpansion',
    phase,
    startedAt: '2026-01-02T03:00:00.000Z',
    finishedAt: '2026-01-02T03:01:12.000Z',
    steps: [
      {
        name: 'expand',
        phase: 'Succeeded',
        startedAt: '2026-01-02T03:00:01.000Z',
        finishedAt: '2026-01-02T03:00:04.200Z',
        message: 'grown to 2Gi',
      },
    ],
    reason: null,
    message: null,
    file: `ops/${id}.yaml`,
  });

/** A pass-through HTTP proxy that awaits `before(url)` on each request before forwarding it. */
async function startProxy(port: number, before: (url: string) => Promise<void>) {
  const server: Server = createServer((req, res) => {
    void before(req.url ?? '/').then(
      () => {
        const up = request(
          { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        req.pipe(up);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port: own } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${own}/desired.git`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe('appendNote', () => {
  let fx: Fixture;
  let wc: string;
  let n = 0;
  const make = (url = fx.url) =>
    createGitSource({
      url,
      branch: 'main',
      auth,
      cacheDir: join(fx.tmp, `cache-${++n}`),
      clock: systemClock,
      log: silentLogger(),
      timeoutMs: 5000,
    });
  const bare = (...args: string[]) => git([`--git-dir=${fx.bareDir}`, ...args]);
  const pullNotes = () =>
    git(['fetch', '--quiet', '--force', 'origin', `+${notesRef}:${notesRef}`], wc);
  /** The note as a native clone sees it after fetching refs/notes/dbops. */
  const nativeNote = async (commit: string) => {
    await pullNotes();
    await git(['fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*'], wc);
    return git(['notes', '--ref', 'dbops', 'show', commit], wc);
  };
  /** Appends and pushes a note with native git, as a second writer would. */
  const nativeAppend = async (commit: string, text: string) => {
    await pullNotes().catch(() => undefined); // the first writer finds no notes ref
    await git(['notes', '--ref', 'dbops', 'append', '-m', text, commit], wc);
    await git(['push', '--quiet', 'origin', notesRef], wc);
  };

  /** Runs a shell pipeline of native git plumbing in the native clone. */
  const sh = async (cmd: string) => (await exec('sh', ['-c', cmd], { cwd: wc })).stdout.trim();

  beforeAll(async () => {
    fx = await startFixture({ 'databases/cache.yaml': 'kind: Redis\n' }, { auth });
    wc = join(fx.tmp, 'native');
    await git(['clone', '--quiet', fx.authedUrl, wc]);
  });
  afterAll(() => fx.cleanup());

  it('attaches a note that git log --notes=dbops shows under the commit, and touches only the notes ref', async () => {
    const src = make();
    const head = (await src.fetch()).revision;
    const text = op('20260102-030000-cache-VolumeExpansion');
    const started = performance.now();
    expect(await appendNote(src, { commit: head, text }, { author })).toEqual({ ok: true });
    console.info(
      `appendNote (fetch + push, fresh notes cache): ${Math.round(performance.now() - started)} ms`,
    );
    expect(await nativeNote(head)).toBe(text.trim());
    const log = await git(['log', '--notes=dbops', '-1', head], wc);
    expect(log).toContain(
      'Notes (dbops):\n    dbops: VolumeExpansion 20260102-030000-cache-VolumeExpansion on cache: Successful in 1m12s',
    );
    expect(await bare('log', '-1', '--format=%an <%ae> %at', notesRef)).toBe(
      `dbops <dbops@dbops.local> ${author.timestamp / 1000}`,
    );
    expect(await remoteHead(fx)).toBe(head);
    expect((await bare('for-each-ref', '--format=%(refname)')).split('\n')).toEqual([
      'refs/heads/main',
      notesRef,
    ]);
    await bare('fsck', '--no-dangling');
    const again = performance.now();
    expect(await appendNote(src, { commit: head, text: op('w') }, { author })).toEqual({
      ok: true,
    });
    console.info(`appendNote (warm notes cache): ${Math.round(performance.now() - again)} ms`);
  });

  it('keeps two notes on one commit and records a repeated block once, even from a fresh cache', async () => {
    const commit = await pushWithGit(fx, { files: { 'databases/two.yaml': 'kind: Redis\n' } });
    const src = make();
    const [a, b] = [op('a-1'), op('b-2', 'Failed')];
    expect(await appendNote(src, { commit, text: a }, { author })).toEqual({ ok: true });
    expect(await appendNote(src, { commit, text: b }, { author })).toEqual({ ok: true });
    const tip = await bare('rev-parse', notesRef);
    expect(await appendNote(src, { commit, text: a }, { author })).toEqual({ ok: true });
    expect(await appendNote(make(), { commit, text: b }, { author })).toEqual({ ok: true });
    expect(await bare('rev-parse', notesRef)).toBe(tip);
    expect(await nativeNote(commit)).toBe(`${a}\n${b}`.trim());
    expect(await remoteHead(fx)).toBe(commit);
  });

  // Each row lets a native writer push its note at a different moment of our push.
  it.each([
    ['after our fetch read the notes ref, before its pack came', '/git-upload-pack'],
    [
      'after our fetch, before our push reached receive-pack (failed to update ref)',
      '/git-receive-pack',
    ],
  ])('merges a native git notes append pushed %s', async (_when, hook) => {
    const commit = await pushWithGit(fx, {
      files: { [`databases/${hook.length}.yaml`]: 'x: 1\n' },
    });
    await nativeAppend(commit, 'first by a human');
    let raced = 0;
    const proxy = await startProxy(fx.server.port, async (url) => {
      if (url.includes(hook) && raced++ === 0) await nativeAppend(commit, 'second by a human');
    });
    try {
      const text = op(`race-${hook.length}`);
      expect(await appendNote(make(proxy.url), { commit, text }, { author })).toEqual({ ok: true });
      expect(raced).toBeGreaterThan(1);
      expect(await nativeNote(commit)).toBe(
        `first by a human\n\nsecond by a human\n\n${text.trim()}`,
      );
      expect(await remoteHead(fx)).toBe(commit);
    } finally {
      await proxy.close();
    }
  });

  it('merges concurrent writers from separate caches without losing a note', async () => {
    const commit = await remoteHead(fx);
    const texts = ['w1', 'w2', 'w3', 'w4'].map((id) => op(id));
    const results = await Promise.all(
      texts.map((text) => appendNote(make(), { commit, text }, { author })),
    );
    expect(results).toEqual(texts.map(() => ({ ok: true })));
    const note = await nativeNote(commit);
    for (const t of texts) expect(note.split(t.trim()).length).toBe(2);
    expect(await remoteHead(fx)).toBe(commit);
  });

  it('notes a commit older than the shallow head; the branch clone stays shallow and fetches on', async () => {
    const old = await pushWithGit(fx, { files: { 'databases/old.yaml': 'kind: Redis\n' } });
    const head = await pushWithGit(fx, { files: { 'databases/new.yaml': 'kind: Redis\n' } });
    const src = make();
    expect((await src.fetch()).revision).toBe(head);
    const cache = cachePath(src.remote.cacheDir, fx.url, 'main');
    const inCache = (...args: string[]) => git([`--git-dir=${cache}`, ...args]);
    await expect(inCache('cat-file', '-e', old)).rejects.toThrow();
    const text = op('old-one');
    expect(await appendNote(src, { commit: old, text }, { author })).toEqual({ ok: true });
    expect(await nativeNote(old)).toBe(text.trim());
    expect((await readFile(join(cache, 'shallow'), 'utf8')).trim()).toBe(head);
    expect(await inCache('for-each-ref', '--format=%(refname)', 'refs/notes')).toBe('');
    const next = await pushWithGit(fx, { files: { 'databases/next.yaml': 'kind: Redis\n' } });
    expect((await src.fetch()).revision).toBe(next);
    // Only branch commits are shallow there, and the branch was not deepened.
    const shallow = (await readFile(join(cache, 'shallow'), 'utf8')).trim().split('\n');
    expect(shallow.filter((oid) => oid !== head && oid !== next)).toEqual([]);
    expect(Number(await inCache('rev-list', '--count', next))).toBeLessThan(3);
  });

  it('appends in place to a note that native git stored fanned out (ab/cdef...)', async () => {
    const commit = await pushWithGit(fx, { files: { 'databases/fan.yaml': 'kind: Redis\n' } });
    await pullNotes();
    const blob = await sh(`printf 'by hand\\n' | git hash-object -w --stdin`);
    const sub = await sh(`printf '100644 blob ${blob}\\t${commit.slice(2)}\\n' | git mktree`);
    const top = await sh(
      `(git ls-tree ${notesRef}; printf '040000 tree ${sub}\\t${commit.slice(0, 2)}\\n') | git mktree`,
    );
    const tip = await sh(`git commit-tree ${top} -p ${notesRef} -m fanout`);
    await git(['push', '--quiet', 'origin', `${tip}:${notesRef}`], wc);
    const text = op('fanned');
    expect(await appendNote(make(), { commit, text }, { author })).toEqual({ ok: true });
    expect(await nativeNote(commit)).toBe(`by hand\n\n${text.trim()}`);
    const paths = await bare('ls-tree', '-r', '--name-only', notesRef);
    expect(paths.split('\n').filter((p) => p.replace('/', '') === commit)).toEqual([
      `${commit.slice(0, 2)}/${commit.slice(2)}`,
    ]);
  });

  it('returns a reason without the secret when the remote refuses the credentials', async () => {
    const commit = await remoteHead(fx);
    const tip = await bare('rev-parse', notesRef);
    const bad = createGitSource({
      url: fx.url.replace('http://', 'http://bot:wrong-secret-789@'),
      branch: 'main',
      cacheDir: join(fx.tmp, 'cache-bad'),
      clock: systemClock,
      log: silentLogger(),
    });
    const res = await appendNote(bad, { commit, text: op('nope') }, { author });
    expect(res.ok).toBe(false);
    expect(JSON.stringify(res)).toMatch(/refused the credentials/);
    expect(JSON.stringify(res)).not.toContain('wrong-secret-789');
    expect(await appendNote(bad, { commit: 'main', text: 'x' }, { author })).toMatchObject({
      ok: false,
    });
    expect(await bare('rev-parse', notesRef)).toBe(tip);
  });
});
