import { describe, expect, it } from 'vitest';
import { depsFixture, fixtureNow, sign, signGeneric } from '../../test/http/fixtures.js';
import { createHandler, type HttpRequest } from './handler.js';
import { hmacHexMatches, parsePayload, tokenMatches, type WebhookConfig } from './webhooks.js';

const secret = 'hook-secret';
const enc = (s: string) => new TextEncoder().encode(s);
const push = (ref = 'refs/heads/main') => JSON.stringify({ ref, after: 'b'.repeat(40) });
const P = push();
const hex = sign(secret, P);
const dev = push('refs/heads/dev');
const form = `payload=${encodeURIComponent(P)}`;

type Want = Record<string, string>;
/** [what, headers, status, response body, request body (default P), webhook config] */
type Row = [string, Record<string, string>, number, Want, (string | Uint8Array)?, WebhookConfig?];

const ok = { status: 'accepted' };
const bad = (h: string) => ({ error: `${h} does not match: check the webhook secret` });
const miss = (h: string) => ({ error: `missing ${h} header` });
const ignored = (reason: string) => ({ status: 'ignored', reason });
const offBranch = ignored('only pushes to refs/heads/main trigger a fetch');
const notJson = { error: 'the body is not a JSON object' };
const GD = 'X-GitHub-Delivery';
const gh = (event: string, sig = `sha256=${hex}`) => ({
  'x-github-event': event,
  'x-hub-signature-256': sig,
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
});
const ghb = (event: string, body: string | Uint8Array) => gh(event, `sha256=${sign(secret, body)}`);
const GH = 'X-Hub-Signature-256';
const gl = (token: string, event = 'Push Hook') => ({
  'x-gitlab-token': token,
  'x-gitlab-event': event,
  'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
});
const gtd = { 'x-gitea-delivery': 'b9f4c2d0-5b5e-4d8a-9c8e-2f1d6a7e3b41' };
const gt = (sig: string) => ({ 'x-gitea-signature': sig, 'x-gitea-event': 'push', ...gtd });
const now = Math.floor(fixtureNow / 1000);
const gen = (body: string, ts: number | string = now) => signGeneric(secret, body, ts);
const DT = 'X-Dbops-Timestamp';
const clockSays = (why: string) => ({ error: `${DT} ${why}: check the sender's clock` });
const bytes = new Uint8Array([0xff, 0xfe]);

const github: Row[] = [
  ['push to the branch', gh('push'), 202, ok],
  ['ping', ghb('ping', '{}'), 200, { status: 'pong' }, '{}'],
  ['ping unsigned', { 'x-github-event': 'ping' }, 401, miss(GH), '{}'],
  ['missing signature', { 'x-github-event': 'push' }, 401, miss(GH)],
  ['wrong secret', gh('push', `sha256=${sign('other', P)}`), 401, bad(GH)],
  ['tampered body', gh('push'), 401, bad(GH), push('refs/heads/evil')],
  ['signature too short', gh('push', `sha256=${hex.slice(1)}`), 401, bad(GH)],
  ['signature too long', gh('push', `sha256=${hex}00`), 401, bad(GH)],
  ['signature not hex', gh('push', `sha256=${'z'.repeat(64)}`), 401, bad(GH)],
  ['signature without prefix', gh('push', hex), 401, bad(GH)],
  ['sha1 signature', gh('push', `sha1=${hex}`), 401, bad(GH)],
  ['upper-case hex', gh('push', `sha256=${hex.toUpperCase()}`), 202, ok],
  [
    'mixed-case header names',
    { 'X-GitHub-Event': 'push', [GH]: `sha256=${hex}`, [GD]: 'd-1' },
    202,
    ok,
  ],
  ['push to another branch', ghb('push', dev), 200, offBranch, dev],
  ['tag push', ghb('push', push('refs/tags/v1')), 200, offBranch, push('refs/tags/v1')],
  ['any ref without a branch filter', ghb('push', dev), 202, ok, dev, { secret }],
  ['bad JSON', ghb('push', '{"ref":'), 400, notJson, '{"ref":'],
  ['JSON array', ghb('push', '[]'), 400, notJson, '[]'],
  ['invalid UTF-8', ghb('push', bytes), 400, notJson, bytes],
  ['missing event', { [GH]: `sha256=${hex}`, [GD]: 'd-1' }, 400, miss('X-GitHub-Event')],
  ['missing delivery id', { 'x-github-event': 'push', [GH]: `sha256=${hex}` }, 400, miss(GD)],
  ['empty delivery id', { ...gh('push'), 'x-github-delivery': ' ' }, 400, miss(GD)],
  ['other event', gh('issues'), 200, ignored('only push events trigger a fetch')],
  [
    'form-encoded push',
    { ...ghb('push', form), 'content-type': 'application/x-www-form-urlencoded' },
    202,
    ok,
    form,
  ],
];

const gitlab: Row[] = [
  ['push', gl(secret), 202, ok],
  ['wrong token', gl('hook-secreT'), 401, bad('X-Gitlab-Token')],
  ['token of another length', gl(`${secret}x`), 401, bad('X-Gitlab-Token')],
  ['missing token', { 'x-gitlab-event': 'Push Hook' }, 401, miss('X-Gitlab-Token')],
  [
    'tag push hook',
    gl(secret, 'Tag Push Hook'),
    200,
    ignored('only Push Hook events trigger a fetch'),
  ],
  ['push to another branch', gl(secret), 200, offBranch, dev],
  [
    'missing event UUID',
    { 'x-gitlab-token': secret, 'x-gitlab-event': 'Push Hook' },
    400,
    miss('X-Gitlab-Event-UUID'),
  ],
];

const gitea: Row[] = [
  ['push', gt(hex), 202, ok],
  ['prefixed signature', gt(`sha256=${hex}`), 401, bad('X-Gitea-Signature')],
  ['tampered body', gt(hex), 401, bad('X-Gitea-Signature'), `${P} `],
  ['missing signature', { 'x-gitea-event': 'push' }, 401, miss('X-Gitea-Signature')],
  ['missing event', { 'x-gitea-signature': hex, ...gtd }, 400, miss('X-Gitea-Event')],
  [
    'missing delivery id',
    { 'x-gitea-signature': hex, 'x-gitea-event': 'push' },
    400,
    miss('X-Gitea-Delivery'),
  ],
];

const generic: Row[] = [
  ['push', gen(P), 202, ok],
  ['signed empty body', gen(''), 202, ok, ''],
  ['no ref: the branch filter does not apply', gen('{}'), 202, ok, '{}'],
  ['push to another branch', gen(dev), 200, offBranch, dev],
  ['bare hex', { ...gen(P), 'x-dbops-signature': hex }, 401, bad('X-Dbops-Signature')],
  ['missing signature', {}, 401, miss('X-Dbops-Signature')],
  [
    'the body alone signed, without a timestamp',
    { 'x-dbops-signature': `sha256=${hex}` },
    401,
    {
      error: `missing ${DT} header: sign "<timestamp>.<body>" and send the Unix time in seconds in it`,
    },
  ],
  [
    'the body alone signed, with a timestamp',
    { 'x-dbops-signature': `sha256=${hex}`, 'x-dbops-timestamp': String(now) },
    401,
    bad('X-Dbops-Signature'),
  ],
  [
    'a timestamp other than the signed one',
    { ...gen(P), 'x-dbops-timestamp': String(now + 1) },
    401,
    bad('X-Dbops-Signature'),
  ],
  ['exactly 5 minutes old', gen(P, now - 300), 202, ok],
  ['exactly 5 minutes ahead', gen(P, now + 300), 202, ok],
  ['5 minutes and 1 s old', gen(P, now - 301), 401, clockSays('is more than 5 minutes old')],
  [
    '5 minutes and 1 s ahead',
    gen(P, now + 301),
    401,
    clockSays("is more than 5 minutes ahead of this server's clock"),
  ],
  [
    'milliseconds',
    gen(P, now * 1000),
    401,
    clockSays("is more than 5 minutes ahead of this server's clock"),
  ],
  [
    'a decimal timestamp',
    gen(P, `${now}.5`),
    401,
    clockSays('is not a Unix time in whole seconds'),
  ],
  [
    'an ISO timestamp',
    gen(P, '2026-01-01T00:00:00Z'),
    401,
    clockSays('is not a Unix time in whole seconds'),
  ],
];

const cases = Object.entries({ github, gitlab, gitea, generic }).flatMap(([forge, rows]) =>
  rows.map(([what, headers, status, want, body, config]) => ({
    what: `${forge} ${what}`,
    path: `/hooks/${forge}`,
    headers,
    status,
    want,
    body: body === undefined ? enc(P) : typeof body === 'string' ? enc(body) : body,
    config: config ?? { secret, branch: 'main' },
  })),
);

describe('webhooks through handle()', () => {
  it.each(cases)('$what -> $status', async (c) => {
    const deps = depsFixture({ webhook: c.config });
    const req: HttpRequest = { method: 'POST', path: c.path, headers: c.headers, body: c.body };
    const res = await createHandler(deps)(req);
    expect(res.status).toBe(c.status);
    expect(JSON.parse(res.body)).toEqual(c.want);
    expect(deps.refreshes).toBe(c.status === 202 ? 1 : 0);
    // Neither the secret nor any signature is ever echoed.
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toMatch(/[0-9a-f]{16}/i);
  });

  it('calls refresh once per accepted delivery (the controller coalesces)', async () => {
    const deps = depsFixture();
    const handle = createHandler(deps);
    for (let i = 0; i < 3; i++) {
      const headers = { ...gh('push'), 'x-github-delivery': `delivery-${i}` };
      await handle({ method: 'POST', path: '/hooks/github', headers, body: enc(P) });
    }
    expect(deps.refreshes).toBe(3);
  });
});

describe('helpers', () => {
  it.each([
    [sign('k', 'body'), true],
    [sign('k', 'body').toUpperCase(), true],
    [sign('k', 'bodY'), false],
    [sign('k', 'body').slice(0, 63), false],
    ['', false],
    [`${sign('k', 'body').slice(0, 62)}zz`, false],
  ])('hmacHexMatches %s -> %s', (hex, ok) => {
    expect(hmacHexMatches('k', enc('body'), hex)).toBe(ok);
  });

  it.each([
    ['s3cret', true],
    ['s3cre', false],
    ['s3cret ', false],
    ['', false],
  ])('tokenMatches %j -> %s', (token, ok) => {
    expect(tokenMatches('s3cret', token)).toBe(ok);
  });

  it.each([
    ['{"a":1}', undefined, { a: 1 }],
    ['null', undefined, undefined],
    ['"s"', undefined, undefined],
    ['payload=%7B%22a%22%3A2%7D', 'application/x-www-form-urlencoded', { a: 2 }],
    ['a=1', 'application/x-www-form-urlencoded', undefined],
  ])('parsePayload %j (%s)', (text, type, want) => {
    expect(parsePayload(enc(text), type)).toEqual(want);
  });
});
