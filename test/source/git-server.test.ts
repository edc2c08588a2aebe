import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../../src/errors.js';
import { ensureGit, initBareRepo } from '../../src/http/git-seed.js';
import { git, startFixture, type Fixture } from './helpers.js';

function get(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer; path?: string } = {},
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const u = new URL(url);
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: opts.path ?? u.pathname + u.search,
          method: opts.method ?? 'GET',
          headers: opts.headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('latin1'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(opts.body);
    },
  );
}

describe('git http server', () => {
  let fx: Fixture;
  const auth = { username: 'u', password: 'pw' };
  const basic = { authorization: `Basic ${Buffer.from('u:pw').toString('base64')}` };
  beforeAll(async () => {
    fx = await startFixture({ 'a.yaml': 'a: 1\n' }, { auth });
  });
  afterAll(() => fx.cleanup());

  it('asks for Basic credentials', async () => {
    const res = await get(`${fx.url}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('advertises refs through http-backend', async () => {
    const res = await get(`${fx.url}/info/refs?service=git-upload-pack`, { headers: basic });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-git-upload-pack-advertisement');
    expect(res.body).toContain('refs/heads/main');
  });

  it('passes http-backend errors through with their status', async () => {
    const res = await get(fx.server.url('nope') + '/info/refs?service=git-upload-pack', {
      headers: basic,
    });
    expect(res.status).toBe(404);
  });

  it('rejects path traversal', async () => {
    const res = await get(fx.url, {
      path: '/desired.git/%2e%2e/%2e%2e/etc/passwd',
      headers: basic,
    });
    expect(res.status).toBe(400);
  });

  it('accepts a gzip-encoded upload-pack request', async () => {
    const head = await git([`--git-dir=${fx.bareDir}`, 'rev-parse', 'main']);
    const pkt = (s: string) => (s.length + 4).toString(16).padStart(4, '0') + s;
    const body = gzipSync(
      Buffer.from(`${pkt(`want ${head} side-band-64k\n`)}0000${pkt('done\n')}`),
    );
    const res = await get(`${fx.url}/git-upload-pack`, {
      method: 'POST',
      body,
      headers: {
        ...basic,
        'content-type': 'application/x-git-upload-pack-request',
        'content-encoding': 'gzip',
        'content-length': String(body.length),
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('PACK');
  });

  it('serves clone and push with plain git', async () => {
    const wc = `${fx.tmp}/plain`;
    await git(['clone', '--quiet', fx.authedUrl, wc]);
    await git(['commit', '--quiet', '--allow-empty', '-m', 'plain'], wc);
    await git(['push', '--quiet', 'origin', 'main'], wc);
    expect(await git([`--git-dir=${fx.bareDir}`, 'log', '-1', '--format=%s', 'main'])).toBe(
      'plain',
    );
  });

  it('initBareRepo is idempotent and validates names', async () => {
    expect(await initBareRepo({ root: `${fx.tmp}/repos`, name: 'desired' })).toEqual({
      bareDir: fx.bareDir,
      created: false,
    });
    await expect(initBareRepo({ root: `${fx.tmp}/repos`, name: '../x' })).rejects.toMatchObject({
      code: codes.usage,
    });
  });

  it('reports a missing git as a prerequisite error', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(ensureGit()).rejects.toMatchObject({
        code: codes.prerequisite,
        message: 'git is not installed',
        hint: 'apt-get install -y git',
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
