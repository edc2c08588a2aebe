import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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

/** What to answer and whether to fetch; bodies never carry the secret or the signature. */
export interface WebhookVerdict {
  status: number;
  body: { status: 'accepted' | 'pong' | 'ignored'; reason?: string } | { error: string };
  refresh: boolean;
}

/** Lower-cased header names to values, as node:http delivers them. */
export type Headers = Record<string, string | undefined>;

interface ForgeRules {
  auth: { header: string; scheme: 'hmac-prefixed' | 'hmac-hex' | 'token' };
  /** Event header and the value that means "a push"; absent for the generic route. */
  event?: { header: string; push: string; ping?: string };
}

const rules: Record<Forge, ForgeRules> = {
  github: {
    auth: { header: 'X-Hub-Signature-256', scheme: 'hmac-prefixed' },
    event: { header: 'X-GitHub-Event', push: 'push', ping: 'ping' },
  },
  gitlab: {
    auth: { header: 'X-Gitlab-Token', scheme: 'token' },
    event: { header: 'X-Gitlab-Event', push: 'Push Hook' },
  },
  gitea: {
    auth: { header: 'X-Gitea-Signature', scheme: 'hmac-hex' },
    event: { header: 'X-Gitea-Event', push: 'push' },
  },
  generic: { auth: { header: 'X-Dbops-Signature', scheme: 'hmac-prefixed' } },
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

function authentic(forge: Forge, headers: Headers, body: Uint8Array, secret: string): boolean {
  const { header, scheme } = rules[forge].auth;
  const value = headers[header.toLowerCase()] ?? '';
  if (scheme === 'token') return tokenMatches(secret, value);
  if (scheme === 'hmac-hex') return hmacHexMatches(secret, body, value.trim());
  const m = /^sha256=(.*)$/.exec(value.trim());
  return m !== null && hmacHexMatches(secret, body, m[1] ?? '');
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

const error = (status: number, message: string): WebhookVerdict => ({
  status,
  body: { error: message },
  refresh: false,
});
const ignored = (reason: string): WebhookVerdict => ({
  status: 200,
  body: { status: 'ignored', reason },
  refresh: false,
});

/**
 * Decides a webhook delivery to an enabled route: 401 without a valid signature or token
 * (checked before anything else is read), 400 for a missing event header or a body that is
 * not a JSON object, 200 for ping and for events or refs that do not concern us, and 202
 * with `refresh: true` for a push to the followed branch. Pure.
 */
export function webhookVerdict(
  forge: Forge,
  headers: Headers,
  body: Uint8Array,
  config: WebhookConfig & { secret: string },
): WebhookVerdict {
  const r = rules[forge];
  if (!headers[r.auth.header.toLowerCase()]) return error(401, `missing ${r.auth.header} header`);
  if (!authentic(forge, headers, body, config.secret)) {
    return error(401, `${r.auth.header} does not match: check the webhook secret`);
  }
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
