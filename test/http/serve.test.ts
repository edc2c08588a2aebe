import { request, type ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isCode, codes } from '../../src/errors.js';
import { serveHttp, type HttpEndpoint } from '../../src/http/serve.js';
import { systemClock } from '../../src/platform/clock.js';
import { depsFixture, sign } from './fixtures.js';

const secret = 'hook-secret';
const limit = 4096;
const deps = depsFixture({ clock: systemClock, webhook: { secret, branch: 'main' } });
let server: HttpEndpoint;
let base: string;

beforeAll(async () => {
  server = await serveHttp({ host: '127.0.0.1', port: 0, deps, maxBodyBytes: limit });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
});

let deliveries = 0;
const githubPush = (body: string, signed = body) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': `delivery-${++deliveries}`,
    'x-hub-signature-256': `sha256=${sign(secret, signed)}`,
  },
  body,
});

/** A raw POST whose body the test writes itself; destroyed when the test ends, pass or fail. */
function post(path: string, headers: Record<string, string>): ClientRequest {
  const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path, headers });
  onTestFinished(() => {
    req.destroy();
  });
  return req;
}

/** The response status, or 'connection closed' when the server cut the connection first. */
function outcome(req: ClientRequest): Promise<number | string> {
  return new Promise((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('connection closed'));
  });
}

describe('serveHttp over real sockets', () => {
  it('binds a free port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers health, readiness, status and metrics', async () => {
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok']);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    await ready.body?.cancel();
    const db = await fetch(`${base}/api/v1/databases/cache`);
    expect(db.status).toBe(200);
    expect(((await db.json()) as { name: string }).name).toBe('cache');
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('\ndbops_source_up 1\n');
  });

  it('sends headers without a body for HEAD', async () => {
    const res = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('2');
    expect(await res.text()).toBe('');
  });

  it('answers 405 with Allow and 404 for unknown paths', async () => {
    const res = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    await res.body?.cancel();
    const missing = await fetch(`${base}/api/v1/databases/Bad_Name`);
    expect(missing.status).toBe(400);
    await missing.body?.cancel();
  });

  it('calls refresh for a signed GitHub push and 401s a tampered one', async () => {
    const before = deps.refreshes;
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) });
    const res = await fetch(`${base}/hooks/github`, githubPush(body));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted' });
    expect(deps.refreshes).toBe(before + 1);
    const tampered = await fetch(`${base}/hooks/github`, githubPush(`${body} `, body));
    expect(tampered.status).toBe(401);
    await tampered.body?.cancel();
    expect(deps.refreshes).toBe(before + 1);
  });

  it('refuses the same delivery sent again with 409, without a refresh', async () => {
    const delivery = githubPush(JSON.stringify({ ref: 'refs/heads/main', after: 'd'.repeat(40) }));
    const before = deps.refreshes;
    const first = await fetch(`${base}/hooks/github`, delivery);
    expect(first.status).toBe(202);
    await first.body?.cancel();
    for (let i = 0; i < 3; i++) {
      const again = await fetch(`${base}/hooks/github`, delivery);
      expect(again.status).toBe(409);
      expect(await again.json()).toEqual({
        error: 'this delivery was seen before: each delivery triggers at most once',
      });
    }
    expect(deps.refreshes).toBe(before + 1);
  });

  it('answers 413 to a declared body over the limit, even when signed', async () => {
    const before = deps.refreshes;
    const body = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(limit) });
    const res = await fetch(`${base}/hooks/github`, githubPush(body));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: `the body is larger than ${limit} bytes` });
    expect(deps.refreshes).toBe(before);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(`${base}/hooks/generic`, {
      method: 'POST',
      headers: { 'x-dbops-signature': `sha256=${'0'.repeat(64)}` },
      body: stream,
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    await res.body?.cancel();
    // The server still serves after cutting a connection off.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  // node:http rather than fetch: undici pulls a synchronous stream in a loop that starves timers.
  it('cuts off a body that never ends instead of reading it forever', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const req = post('/hooks/generic', {});
    const pump = () => {
      while (!req.destroyed && req.write(chunk));
      req.once('drain', pump);
    };
    pump();
    expect([413, 'connection closed']).toContain(await outcome(req));
  }, 10_000);

  it('answers 413 from the declared length before any body byte arrives', async () => {
    const req = post('/hooks/github', { 'content-length': String(1e9) });
    req.flushHeaders();
    expect(await outcome(req)).toBe(413);
  }, 10_000);

  it('refuses a port that is taken with a config error', async () => {
    const err: unknown = await serveHttp({ host: '127.0.0.1', port: server.port, deps }).catch(
      (e: unknown) => e,
    );
    expect(isCode(err, codes.config)).toBe(true);
  });

  it('stops accepting connections after close', async () => {
    const other = await serveHttp({ host: '127.0.0.1', port: 0, deps });
    const url = `http://127.0.0.1:${other.port}/healthz`;
    expect((await fetch(url)).status).toBe(200);
    await other.close();
    await other.close();
    await expect(fetch(url)).rejects.toThrow();
  });
});
