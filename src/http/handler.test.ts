import { describe, expect, it } from 'vitest';
import { captureLog, type LogLine } from '../../test/helpers/log-lines.js';
import {
  depsFixture,
  fixtureNow,
  request,
  sign,
  signGeneric,
  statusFixture,
} from '../../test/http/fixtures.js';
import { ManualClock } from '../platform/clock.js';
import { createHandler, type HttpDeps, type HttpRequest } from './handler.js';

const handle = (req: HttpRequest, deps: HttpDeps) => createHandler(deps)(req);

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
  {
    what: 'a failing metrics render is a 500 without details',
    path: '/metrics',
    deps: {
      metrics: { contentType: 'text/plain', render: () => Promise.reject(new Error('secret')) },
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

const secret = 'hook-secret';
const body = JSON.stringify({ ref: 'refs/heads/main', after: 'c'.repeat(40) });
const hmac = `sha256=${sign(secret, body)}`;
const id = '2b0e8f4e-1f0a-4c1e-9d0a-5d7c1b3e9f10';

/** One signed push per route, as each forge sends it. */
const deliveries: [string, Record<string, string>][] = [
  ['github', { 'x-github-event': 'push', 'x-hub-signature-256': hmac, 'x-github-delivery': id }],
  [
    'gitlab',
    { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret, 'x-gitlab-event-uuid': id },
  ],
  [
    'gitea',
    { 'x-gitea-event': 'push', 'x-gitea-signature': sign(secret, body), 'x-gitea-delivery': id },
  ],
  ['generic', signGeneric(secret, body, fixtureNow / 1000)],
];

const seenBefore = { error: 'this delivery was seen before: each delivery triggers at most once' };

function replayDeps(): HttpDeps & {
  refreshes: number;
  clock: ManualClock;
  lines: () => LogLine[];
} {
  const { log, lines } = captureLog();
  const clock = new ManualClock(fixtureNow);
  return Object.assign(depsFixture({ log, clock }), { clock, lines });
}

const post = (forge: string, headers: Record<string, string>) =>
  request('POST', `/hooks/${forge}`, headers, body);

describe('replayed webhook deliveries', () => {
  it.each(deliveries)(
    '%s: the same signed delivery twice is refused the second time',
    async (forge, headers) => {
      const deps = replayDeps();
      const handler = createHandler(deps);
      const first = await handler(post(forge, headers));
      expect([first.status, JSON.parse(first.body)]).toEqual([202, { status: 'accepted' }]);
      const second = await handler(post(forge, headers));
      expect([second.status, JSON.parse(second.body)]).toEqual([409, seenBefore]);
      expect(second.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(deps.refreshes).toBe(1);
    },
  );

  it.each(deliveries)(
    '%s: a refused forgery does not use up the delivery',
    async (forge, headers) => {
      const deps = replayDeps();
      const handler = createHandler(deps);
      const proof = Object.keys(headers).find((h) => /signature|token/.test(h)) ?? '';
      const forged = { ...headers, [proof]: `${headers[proof]}0` };
      expect((await handler(post(forge, forged))).status).toBe(401);
      expect((await handler(post(forge, headers))).status).toBe(202);
      expect(deps.refreshes).toBe(1);
    },
  );

  it('a new delivery of the same push is accepted (forges and the generic route)', async () => {
    const deps = replayDeps();
    const handler = createHandler(deps);
    const [gh, generic] = [deliveries[0]?.[1] ?? {}, deliveries[3]?.[1] ?? {}];
    expect((await handler(post('github', gh))).status).toBe(202);
    expect((await handler(post('github', { ...gh, 'x-github-delivery': 'another' }))).status).toBe(
      202,
    );
    expect((await handler(post('generic', generic))).status).toBe(202);
    deps.clock.advance(1000);
    const later = signGeneric(secret, body, fixtureNow / 1000 + 1);
    expect((await handler(post('generic', later))).status).toBe(202);
    expect(deps.refreshes).toBe(4);
  });

  it('handlers do not share what they have seen', async () => {
    const deps = replayDeps();
    const [forge, headers] = deliveries[0] ?? ['', {}];
    expect((await createHandler(deps)(post(forge, headers))).status).toBe(202);
    expect((await createHandler(deps)(post(forge, headers))).status).toBe(202);
  });

  it('logs a flood of refusals at most once per 10 s per reason, with the count', async () => {
    const deps = replayDeps();
    const handler = createHandler(deps);
    const [forge, headers] = deliveries[0] ?? ['', {}];
    const unsigned = { 'x-github-event': 'push', 'x-github-delivery': 'x' };
    for (let i = 0; i < 200; i++) await handler(post(forge, headers));
    for (let i = 0; i < 50; i++) await handler(post(forge, unsigned));
    deps.clock.advance(9_999);
    await handler(post(forge, headers));
    deps.clock.advance(1);
    await handler(post(forge, headers));
    await handler(post(forge, unsigned));
    expect(deps.refreshes).toBe(1);
    const lines = deps.lines().filter((l) => l.level >= 30);
    expect(lines.map((l) => [l.level, l.msg, l.suppressed])).toEqual([
      [30, 'webhook: push received, fetching', undefined],
      [40, 'webhook: rejected delivery seen before', 0],
      [40, 'webhook: rejected delivery with a missing or wrong signature', 0],
      [40, 'webhook: rejected delivery seen before', 199],
      [40, 'webhook: rejected delivery with a missing or wrong signature', 49],
    ]);
    expect(lines.slice(1).every((l) => l.status === 409 || l.status === 401)).toBe(true);
  });
});
