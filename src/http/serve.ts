import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codes, stalled } from '../errors.js';
import { createHandler, json, type Handler, type HttpDeps, type HttpResponse } from './handler.js';

/** Default request body limit: forge push payloads are well below 1 MiB for normal pushes. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** A listening HTTP endpoint. */
export interface HttpEndpoint {
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** Stops listening and closes every connection, idle or still uploading. Idempotent. */
  close(): Promise<void>;
}

// Slow clients must not hold sockets forever; these bound a request from first byte to last.
const timeouts = { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 };

type Body = { ok: true; body: Uint8Array } | { ok: false };

/** Reads the body up to `max` bytes; stops reading as soon as the limit is passed. */
function readBody(req: IncomingMessage, max: number): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ ok: false });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        resolve({ ok: false });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve({ ok: true, body: Buffer.concat(chunks) });
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, r: HttpResponse, close = false): void {
  const headers: Record<string, string> = {
    ...r.headers,
    'content-length': String(Buffer.byteLength(r.body)),
  };
  // The rest of an oversized body stays unread, so the connection cannot be reused.
  if (close) headers.connection = 'close';
  res.writeHead(r.status, headers);
  res.end(r.body);
}

async function serveOne(
  req: IncomingMessage,
  res: ServerResponse,
  deps: HttpDeps,
  handle: Handler,
  max: number,
): Promise<void> {
  const started = deps.clock.now();
  const method = req.method ?? 'GET';
  const path = pathOf(req.url ?? '/');
  if (path === undefined) {
    send(res, json(400, { error: 'the request target is not a URL path' }));
    return;
  }
  const read = await readBody(req, max);
  if (!read.ok) {
    send(res, json(413, { error: `the body is larger than ${max} bytes` }), true);
    res.once('finish', () => req.destroy());
    return;
  }
  const r = await handle({ method, path, headers: headersOf(req), body: read.body });
  send(res, r);
  deps.log.debug({ method, path, status: r.status, ms: deps.clock.now() - started }, 'http');
}

/**
 * Serves `createHandler(deps)` over node:http on host:port (port 0 picks a free one): bodies above
 * `maxBodyBytes` get 413, slow requests are cut off by the server timeouts. Rejects with a
 * DbopsError when the address cannot be bound.
 */
export async function serveHttp(opts: {
  host: string;
  port: number;
  deps: HttpDeps;
  maxBodyBytes?: number;
}): Promise<HttpEndpoint> {
  const { deps } = opts;
  const max = opts.maxBodyBytes ?? defaultMaxBodyBytes;
  const handle = createHandler(deps);
  const server = createServer(timeouts, (req, res) => {
    serveOne(req, res, deps, handle, max).catch((err: unknown) => {
      deps.log.warn({ err }, 'http request failed');
      if (!res.headersSent) send(res, json(500, { error: 'internal error' }), true);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        stalled(codes.config, `cannot listen on ${opts.host}:${opts.port}: ${err.message}`, {
          hint: 'choose another address or port, or stop the process that uses it',
          cause: err,
        }),
      );
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => deps.log.error({ err }, 'http server error'));
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Answers are written in one go, so an open connection is at worst a slow upload:
        // cutting it beats holding shutdown for requestTimeout; forges retry deliveries.
        server.closeAllConnections();
      })),
  };
}
