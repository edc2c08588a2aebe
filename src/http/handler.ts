import { isDnsLabel } from '../api/names.js';
import type { StatusDocument } from '../api/status.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { LogGate } from './log-gate.js';
import type { MetricsEndpoint } from './metrics.js';
import { DeliveryMemory } from './replay.js';
import {
  forgeEnabled,
  forgeOf,
  webhookVerdict,
  type Rejection,
  type WebhookConfig,
} from './webhooks.js';

/** What the HTTP endpoint needs from the controller; all side effects come in here. */
export interface HttpDeps {
  /** The current status. */
  status(): StatusDocument;
  /** Asks the controller to fetch now; cheap and coalescing, so webhooks call it freely. */
  refresh(): void;
  /** For /readyz: a first round completed. */
  ready(): boolean;
  /** The /metrics body (src/main.ts builds it on the controller's status). */
  metrics: MetricsEndpoint;
  webhook?: WebhookConfig;
  log: Logger;
  clock: Clock;
}

/** A request as the handler sees it: no socket, the whole body already read. */
export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

/** A response as the handler produces it. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** A JSON response with the common headers. */
export function json(
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): HttpResponse {
  return {
    status,
    headers: { ...common, 'content-type': 'application/json; charset=utf-8', ...extra },
    body: `${JSON.stringify(value, null, 2)}\n`,
  };
}

function text(status: number, body: string, type = 'text/plain; charset=utf-8'): HttpResponse {
  return { status, headers: { ...common, 'content-type': type }, body };
}

const readMethods = ['GET', 'HEAD'];

function database(path: string, deps: HttpDeps): HttpResponse {
  const name = path.slice('/api/v1/databases/'.length);
  // The name is not echoed when invalid: it is arbitrary client input.
  if (!isDnsLabel(name)) {
    return json(400, { error: 'the database name must be a DNS-1123 label (a-z, 0-9, -)' });
  }
  const db = deps.status().databases.find((d) => d.name === name);
  return db ? json(200, db) : json(404, { error: `database ${name} not found` });
}

/** What the webhook routes remember between requests. */
interface WebhookState {
  deliveries: DeliveryMemory;
  /** Refusals are logged at most once per 10 s per reason; `suppressed` counts the rest. */
  refusals: LogGate;
}

const refusalMessages: Record<Rejection, string> = {
  signature: 'webhook: rejected delivery with a missing or wrong signature',
  timestamp: 'webhook: rejected delivery with a missing, malformed or stale timestamp',
  replay: 'webhook: rejected delivery seen before',
};

function webhook(
  req: HttpRequest,
  path: string,
  deps: HttpDeps,
  state: WebhookState,
): HttpResponse | undefined {
  const forge = forgeOf(path);
  if (!forge) return undefined;
  const config = deps.webhook;
  // A disabled hook looks like no route at all: unsigned hooks are never accepted.
  if (!config?.secret || !forgeEnabled(forge, config)) {
    return json(404, { error: `no route for ${path}` });
  }
  if (req.method !== 'POST') return json(405, { error: 'use POST' }, { allow: 'POST' });
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const verdict = webhookVerdict(
    forge,
    headers,
    req.body,
    { ...config, secret: config.secret },
    { now: deps.clock.now(), deliveries: state.deliveries },
  );
  if (verdict.refresh) {
    deps.refresh();
    deps.log.info({ forge }, 'webhook: push received, fetching');
  } else if (verdict.rejected) {
    const suppressed = state.refusals.admit(verdict.rejected);
    if (suppressed !== undefined) {
      const fields = { forge, status: verdict.status, suppressed };
      deps.log.warn(fields, refusalMessages[verdict.rejected]);
    }
  } else {
    deps.log.debug({ forge, status: verdict.status, body: verdict.body }, 'webhook: not a push');
  }
  return json(verdict.status, verdict.body);
}

async function read(path: string, deps: HttpDeps): Promise<HttpResponse | undefined> {
  if (path === '/healthz') return text(200, 'ok');
  if (path === '/readyz') return deps.ready() ? text(200, 'ready') : text(503, 'not ready');
  if (path === '/api/v1/status') return json(200, deps.status());
  if (path.startsWith('/api/v1/databases/')) return database(path, deps);
  if (path === '/metrics') return text(200, await deps.metrics.render(), deps.metrics.contentType);
  return undefined;
}

const readPaths = /^\/(healthz|readyz|metrics|api\/v1\/status|api\/v1\/databases\/[^/]*)$/;

/** Answers one request; see `createHandler`. */
export type Handler = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * Builds the request handler, without sockets: health, readiness, status API, metrics and
 * the webhook routes, which remember the last 10,000 deliveries to refuse replays. Unknown
 * paths get 404, known paths with the wrong method 405 with Allow, and a failure inside a
 * dependency 500 without details (they are logged).
 */
export function createHandler(deps: HttpDeps): Handler {
  const state: WebhookState = {
    deliveries: new DeliveryMemory(),
    refusals: new LogGate(deps.clock),
  };
  return (req) => respond(req, deps, state);
}

async function respond(
  req: HttpRequest,
  deps: HttpDeps,
  state: WebhookState,
): Promise<HttpResponse> {
  const path = req.path.split('?')[0] ?? '';
  try {
    const hook = webhook(req, path, deps, state);
    if (hook) return hook;
    if (!readPaths.test(path)) return json(404, { error: 'no such route' });
    if (!readMethods.includes(req.method)) {
      return json(405, { error: 'use GET' }, { allow: readMethods.join(', ') });
    }
    return (await read(path, deps)) ?? json(404, { error: 'no such route' });
  } catch (err) {
    deps.log.error({ err, path }, 'http handler failed');
    return json(500, { error: 'internal error; see the controller log' });
  }
}
