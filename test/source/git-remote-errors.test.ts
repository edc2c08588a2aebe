import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes, DbopsError, formatError } from '../../src/errors.js';
import { systemClock } from '../../src/platform/clock.js';
import { createGitSource } from '../../src/source/git-source.js';
import { capturingLogger, startFixture, type Fixture } from './helpers.js';

const password = 'S3cr3t-pa55word-xyz';
const token = 'tok_abcdef0123456789';

/** Everything a user or log reader could see of an error, cause chain included. */
function visible(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e instanceof Error) {
    parts.push(formatError(e), e.stack ?? '', JSON.stringify(e));
    e = e.cause;
  }
  return parts.join('\n');
}

describe('git source: authentication', () => {
  let fx: Fixture;
  let cacheRoot: string;
  beforeAll(async () => {
    fx = await startFixture(
      { 'db.yaml': 'kind: Redis\n' },
      { auth: { username: 'alice', password } },
    );
    cacheRoot = await mkdtemp(join(tmpdir(), 'dbops-cache-'));
  });
  afterAll(async () => {
    await fx.cleanup();
    await rm(cacheRoot, { recursive: true, force: true });
  });

  it('fails with sourceAuth and a hint without credentials', async () => {
    const src = createGitSource({
      url: fx.url,
      branch: 'main',
      cacheDir: cacheRoot,
      clock: systemClock,
      log: capturingLogger().log,
    });
    const err = (await src.fetch().catch((e: unknown) => e)) as DbopsError;
    expect(err).toBeInstanceOf(DbopsError);
    expect(err.code).toBe(codes.sourceAuth);
    expect(err.hint).toMatch(/DBOPS_GIT_TOKEN/);
  });

  it('fails with sourceAuth on a wrong password, and never shows the password', async () => {
    const wrong = `${password}-wrong`;
    const cap = capturingLogger();
    const url = fx.url.replace('http://', `http://alice:${wrong}@`);
    const src = createGitSource({ url, cacheDir: cacheRoot, clock: systemClock, log: cap.log });
    const err = await src.fetch().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: codes.sourceAuth });
    for (const text of [visible(err), src.description, cap.output()]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(`alice:${wrong}`).toString('base64'));
    }
  });

  it('works with a password in the URL and with explicit auth', async () => {
    const cap = capturingLogger();
    const inUrl = createGitSource({
      url: fx.url.replace('http://', `http://alice:${encodeURIComponent(password)}@`),
      cacheDir: cacheRoot,
      clock: systemClock,
      log: cap.log,
    });
    const snap = await inUrl.fetch();
    expect(snap.files.map((f) => f.path)).toEqual(['db.yaml']);
    expect(inUrl.description).not.toContain(password);
    expect(inUrl.description).not.toContain('alice');
    const explicit = createGitSource({
      url: fx.url,
      branch: 'main',
      auth: { username: 'alice', password },
      cacheDir: await mkdtemp(join(cacheRoot, 'x-')),
      clock: systemClock,
      log: cap.log,
    });
    expect((await explicit.fetch()).revision).toBe(snap.revision);
    expect(cap.output()).not.toContain(password);
  });

  it('works with a token (sent as the Basic password of x-access-token)', async () => {
    const tfx = await startFixture(
      { 'db.yaml': 'kind: Redis\n' },
      { auth: { username: 'x-access-token', password: token } },
    );
    try {
      const ok = createGitSource({
        url: tfx.url,
        auth: { token },
        cacheDir: join(tfx.tmp, 'c1'),
        clock: systemClock,
        log: capturingLogger().log,
      });
      expect((await ok.fetch()).files).toHaveLength(1);
      const bad = createGitSource({
        url: tfx.url,
        auth: { token: `${token}x` },
        cacheDir: join(tfx.tmp, 'c2'),
        clock: systemClock,
        log: capturingLogger().log,
      });
      const err = await bad.fetch().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: codes.sourceAuth });
      expect(visible(err)).not.toContain(token);
    } finally {
      await tfx.cleanup();
    }
  });
});

describe('git source: unreachable remotes', () => {
  let silent: Server;
  let silentPort: number;
  const sockets = new Set<Socket>();
  let cacheRoot: string;
  beforeAll(async () => {
    cacheRoot = await mkdtemp(join(tmpdir(), 'dbops-cache-'));
    // Accepts connections and never answers.
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((ok) => silent.close(ok));
    await rm(cacheRoot, { recursive: true, force: true });
  });

  async function closedPort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as { port: number }).port;
    await new Promise((ok) => s.close(ok));
    return port;
  }

  it.each([
    [
      'a closed port',
      async () => `http://bob:${password}@127.0.0.1:${await closedPort()}/repo.git`,
    ],
    [
      'a server that never answers',
      () => Promise.resolve(`http://bob:${password}@127.0.0.1:${silentPort}/repo.git`),
    ],
  ])('fails with sourceUnreachable within the timeout for %s', async (_name, makeUrl) => {
    const url = await makeUrl();
    const cap = capturingLogger();
    const src = createGitSource({
      url,
      branch: 'main',
      cacheDir: cacheRoot,
      clock: systemClock,
      log: cap.log,
      timeoutMs: 800,
    });
    const started = Date.now();
    const err = (await src.fetch().catch((e: unknown) => e)) as DbopsError;
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(DbopsError);
    expect(err.code).toBe(codes.sourceUnreachable);
    expect(err.message).toMatch(/^cannot reach http:\/\/127\.0\.0\.1:\d+\/repo\.git: /);
    expect(elapsed).toBeLessThan(800 + 2000);
    expect(visible(err)).not.toContain(password);
    expect(cap.output()).not.toContain(password);
  });
});
