import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { checkTimestamp, timestampToleranceMs, type DeliveryMemory } from './replay.js';

/** The webhook routes: one per forge, plus a generic HMAC-signed one. */
export type Forge = 'github' | 'gitlab' | 'gitea' | 'generic';

/** Webhook settings: without a secret every webhook route is disabled. */
export interface WebhookConfig {
  secret?: string;
  /** Forge routes are on unless set to false; the generic route is on with any secret. */
  github?: boolean;
  gitlab?: boolean;
  gitea?: boolean;
  /** When set, only pushes to `refs/heads/<branch>` trigger a fetch. */
  branch?: string;
}

/** Why a delivery was refused before its content was read; refusals are logged per reason. */
export type Rejection = 'signature' | 'timestamp' | 'replay';

/** What to answer and whether to fetch; bodies never carry the secret or the signature. */
export interface WebhookVerdict {
  status: number;
  body: { status: 'accepted' | 'pong' | 'ignored'; reason?: string } | { error: string };
  refresh: boolean;
  rejected?: Rejection;
}

/** What a verdict needs besides the request: the clock reading and the deliveries seen. */
export interface WebhookContext {
  /** Milliseconds since the epoch, from the injected clock. */
  now: number;
  /** Updated with every authentic, fresh delivery. */
  deliveries: DeliveryMemory;
}

/** Lower-cased header names to values, as node:http delivers them. */
export type Headers = Record<string, string | undefined>;

interface ForgeRules {
  auth: { header: string; scheme: 'hmac-prefixed' | 'hmac-hex' | 'token' };
  /** Event header and the value that means "a push"; absent for the generic route. */
  event?: { header: string; push: string; ping?: string };
  /** The header naming a delivery (the forges'); the generic route has a signed timestamp. */
  replay: { delivery: string } | { timestamp: string };
}

/** The generic route's timestamp header: the HMAC covers `<timestamp>.<body>`. */
export const genericTimestampHeader = 'X-Dbops-Timestamp';

const rules: Record<Forge, ForgeRules> = {
  github: {
    auth: { header: 'X-Hub-Signature-256', scheme: 'hmac-prefixed' },
    event: { header: 'X-GitHub-Event', push: 'push', ping: 'ping' },
    replay: { delivery: 'X-GitHub-Delivery' },
  },
  gitlab: {
    auth: { header: 'X-Gitlab-Token', scheme: 'token' },
    event: { header: 'X-Gitlab-Event', push: 'Push Hook' },
    replay: { delivery: 'X-Gitlab-Event-UUID' },
  },
  gitea: {
    auth: { header: 'X-Gitea-Signature', scheme: 'hmac-hex' },
    event: { header: 'X-Gitea-Event', push: 'push' },
    replay: { delivery: 'X-Gitea-Delivery' },
  },
  generic: {
    auth: { header: 'X-Dbops-Signature', scheme: 'hmac-prefixed' },
    replay: { timestamp: genericTimestampHeader },
  },
};

/** Maps a path to its forge, or undefined when it is not a webhook route. */
export function forgeOf(path: string): Forge | undefined {
  const m = /^\/hooks\/(github|gitlab|gitea|generic)$/.exec(path);
  return m ? (m[1] as Forge) : undefined;
}

/** True when the route answers: a secret is configured and the forge is not switched off. */
export function forgeEnabled(forge: Forge, config: WebhookConfig | undefined): boolean {
  if (!config?.secret) return false;
  return forge === 'generic' || config[forge] !== false;
}

/** Constant-time check of a hex HMAC-SHA256 of `body`; false for anything not 64 hex digits. */
export function hmacHexMatches(secret: string, body: Uint8Array, hex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(hex, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Constant-time equality of a shared token; hashing first hides the secret's length too. */
export function tokenMatches(secret: string, token: string): boolean {
  const a = createHash('sha256').update(secret).digest();
  const b = createHash('sha256').update(token).digest();
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bytes the generic route signs: `<timestamp>.<body>` (Stripe and Slack style). */
export function genericSignedBytes(timestamp: string, body: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${timestamp}.`), body]);
}

function authentic(forge: Forge, headers: Headers, signed: Uint8Array, secret: string): boolean {
  const { header, scheme } = rules[forge].auth;
  const value = headers[header.toLowerCase()] ?? '';
  if (scheme === 'token') return tokenMatches(secret, value);
  if (scheme === 'hmac-hex') return hmacHexMatches(secret, signed, value.trim());
  const m = /^sha256=(.*)$/.exec(value.trim());
  return m !== null && hmacHexMatches(secret, signed, m[1] ?? '');
}

/** Parses a push payload: JSON, or GitHub/Gitea form encoding with a `payload` field. */
export function parsePayload(
  body: Uint8Array,
  contentType: string | undefined,
): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    text = new URLSearchParams(text).get('payload') ?? '';
  }
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const error = (status: number, message: string, rejected?: Rejection): WebhookVerdict => ({
  status,
  body: { error: message },
  refresh: false,
  ...(rejected ? { rejected } : {}),
});
const ignored = (reason: string): WebhookVerdict => ({
  status: 200,
  body: { status: 'ignored', reason },
  refresh: false,
});

const tolerance = `${timestampToleranceMs / 60_000} minutes`;
const mismatch = (header: string) =>
  error(401, `${header} does not match: check the webhook secret`, 'signature');

function remember(ctx: WebhookContext, key: string): WebhookVerdict | undefined {
  if (ctx.deliveries.remember(key)) return undefined;
  return error(409, 'this delivery was seen before: each delivery triggers at most once', 'replay');
}

/**
 * Checks who sent a delivery and that it is new: its signature or token, the generic
 * route's timestamp window, then the delivery memory. Returns the refusal, or undefined
 * for an authentic delivery seen for the first time (now remembered).
 */
function admit(
  forge: Forge,
  headers: Headers,
  body: Uint8Array,
  secret: string,
  ctx: WebhookContext,
): WebhookVerdict | undefined {
  const { auth, replay } = rules[forge];
  const proof = headers[auth.header.toLowerCase()];
  if (!proof) return error(401, `missing ${auth.header} header`, 'signature');
  if ('delivery' in replay) {
    if (!authentic(forge, headers, body, secret)) return mismatch(auth.header);
    const id = headers[replay.delivery.toLowerCase()]?.trim();
    if (!id) return error(400, `missing ${replay.delivery} header`);
    return remember(ctx, `${forge}:${id}`);
  }
  const stamp = headers[replay.timestamp.toLowerCase()]?.trim();
  if (!stamp) {
    const how = 'sign "<timestamp>.<body>" and send the Unix time in seconds in it';
    return error(401, `missing ${replay.timestamp} header: ${how}`, 'timestamp');
  }
  if (!authentic(forge, headers, genericSignedBytes(stamp, body), secret)) {
    return mismatch(auth.header);
  }
  const check = checkTimestamp(stamp, ctx.now);
  if (check !== 'fresh') {
    const why = {
      malformed: 'is not a Unix time in whole seconds',
      stale: `is more than ${tolerance} old`,
      future: `is more than ${tolerance} ahead of this server's clock`,
    }[check];
    return error(401, `${replay.timestamp} ${why}: check the sender's clock`, 'timestamp');
  }
  // Within the window the signature names the delivery: the same timestamp and body.
  return remember(ctx, `${forge}:${proof.trim().toLowerCase()}`);
}

/**
 * Decides a webhook delivery to an enabled route: 401 without a valid signature or token,
 * or (generic route) without a signed timestamp within 5 minutes of `ctx.now`; 400 for a
 * forge delivery without its delivery id; 409 for a delivery seen before; then 400 for a
 * missing event header or a body that is not a JSON object, 200 for ping and for events
 * or refs that do not concern us, and 202 with `refresh: true` for a push to the followed
 * branch. Authentication is checked before anything else is read. No I/O: its only effect
 * is remembering the delivery in `ctx.deliveries`.
 */
export function webhookVerdict(
  forge: Forge,
  headers: Headers,
  body: Uint8Array,
  config: WebhookConfig & { secret: string },
  ctx: WebhookContext,
): WebhookVerdict {
  const r = rules[forge];
  const refused = admit(forge, headers, body, config.secret, ctx);
  if (refused) return refused;
  // The generic route may be a bare signed trigger without a body.
  const payload =
    forge === 'generic' && body.length === 0 ? {} : parsePayload(body, headers['content-type']);
  if (!payload) return error(400, 'the body is not a JSON object');
  if (r.event) {
    const event = headers[r.event.header.toLowerCase()];
    if (!event) return error(400, `missing ${r.event.header} header`);
    if (r.event.ping !== undefined && event === r.event.ping) {
      return { status: 200, body: { status: 'pong' }, refresh: false };
    }
    if (event !== r.event.push) return ignored(`only ${r.event.push} events trigger a fetch`);
  }
  // A generic trigger without a ref means "fetch whatever you follow".
  const filtered = forge !== 'generic' || typeof payload.ref === 'string';
  if (config.branch && filtered) {
    const want = `refs/heads/${config.branch}`;
    if (payload.ref !== want) return ignored(`only pushes to ${want} trigger a fetch`);
  }
  return { status: 202, body: { status: 'accepted' }, refresh: true };
}
