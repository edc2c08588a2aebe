import { describe, expect, it } from 'vitest';
import { depsFixture, request, statusFixture } from '../../test/http/fixtures.js';
import { handle, type HttpDeps } from './handler.js';

interface Case {
  what: string;
  method?: string;
  path: string;
  deps?: Partial<HttpDeps>;
  status: number;
  type?: string;
  body?: unknown;
  allow?: string;
}

const json = 'application/json; charset=utf-8';
const plain = 'text/plain; charset=utf-8';

const cases: Case[] = [
  { what: 'healthz', path: '/healthz', status: 200, type: plain, body: 'ok' },
  { what: 'healthz HEAD', method: 'HEAD', path: '/healthz', status: 200, body: 'ok' },
  { what: 'healthz ignores a query', path: '/healthz?x=1', status: 200, body: 'ok' },
  { what: 'readyz when ready', path: '/readyz', status: 200, body: 'ready' },
  {
    what: 'readyz before the first round',
    path: '/readyz',
    deps: { ready: () => false },
    status: 503,
    body: 'not ready',
  },
  { what: 'status', path: '/api/v1/status', status: 200, type: json, body: statusFixture() },
  {
    what: 'one database',
    path: '/api/v1/databases/cache',
    status: 200,
    type: json,
    body: statusFixture().databases[0],
  },
  {
    what: 'unknown database',
    path: '/api/v1/databases/nope',
    status: 404,
    type: json,
    body: { error: 'database nope not found' },
  },
  ...['Cache', '-a', 'a-', 'a_b', '%2e%2e', 'a.b', '', 'x'.repeat(64)].map((name): Case => ({
    what: `invalid database name ${JSON.stringify(name)}`,
    path: `/api/v1/databases/${name}`,
    status: 400,
    type: json,
    body: { error: 'the database name must be a DNS-1123 label (a-z, 0-9, -)' },
  })),
  { what: 'nested database path', path: '/api/v1/databases/a/b', status: 404 },
  { what: 'unknown path', path: '/nope', status: 404, body: { error: 'no such route' } },
  { what: 'trailing slash', path: '/healthz/', status: 404 },
  { what: 'POST healthz', method: 'POST', path: '/healthz', status: 405, allow: 'GET, HEAD' },
  {
    what: 'DELETE status',
    method: 'DELETE',
    path: '/api/v1/status',
    status: 405,
    allow: 'GET, HEAD',
  },
  { what: 'PUT metrics', method: 'PUT', path: '/metrics', status: 405, allow: 'GET, HEAD' },
  { what: 'GET on a webhook', path: '/hooks/github', status: 405, allow: 'POST' },
  {
    what: 'webhooks without a secret are not routes',
    method: 'POST',
    path: '/hooks/generic',
    deps: { webhook: { branch: 'main' } },
    status: 404,
  },
  {
    what: 'webhooks with an empty secret are not routes',
    method: 'POST',
    path: '/hooks/github',
    deps: { webhook: { secret: '' } },
    status: 404,
  },
  {
    what: 'a forge switched off is not a route',
    method: 'POST',
    path: '/hooks/gitlab',
    deps: { webhook: { secret: 's', gitlab: false } },
    status: 404,
  },
  {
    what: 'a failing status source is a 500 without details',
    path: '/api/v1/status',
    deps: {
      status: () => {
        throw new Error('secret detail');
      },
    },
    status: 500,
    body: { error: 'internal error; see the controller log' },
  },
];

describe('handle routes', () => {
  it.each(cases)('$what -> $status', async (c) => {
    const deps = depsFixture(c.deps);
    const res = await handle(request(c.method ?? 'GET', c.path), deps);
    expect(res.status).toBe(c.status);
    if (c.type) expect(res.headers['content-type']).toBe(c.type);
    if (c.allow) expect(res.headers.allow).toBe(c.allow);
    else expect(res.headers.allow).toBeUndefined();
    if (typeof c.body === 'string') expect(res.body).toBe(c.body);
    else if (c.body !== undefined) expect(JSON.parse(res.body)).toEqual(c.body);
    if (res.headers['content-type']?.startsWith('application/json')) {
      expect(() => JSON.parse(res.body) as unknown).not.toThrow();
    }
    expect(res.headers['cache-control']).toBe('no-store');
    expect(deps.refreshes).toBe(0);
  });

  it('serves metrics in the 0.0.4 text format from the current status', async () => {
    const deps = depsFixture({ status: () => statusFixture({ sourceError: 'down' }) });
    const res = await handle(request('GET', '/metrics'), deps);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('\ndbops_source_up 0\n');
  });

  it('reads the status on every request', async () => {
    let n = 0;
    const deps = depsFixture({ status: () => statusFixture({ revision: `r${++n}` }) });
    const first = await handle(request('GET', '/api/v1/status'), deps);
    const second = await handle(request('GET', '/api/v1/status'), deps);
    expect((JSON.parse(first.body) as { revision: string }).revision).toBe('r1');
    expect((JSON.parse(second.body) as { revision: string }).revision).toBe('r2');
  });
});
