import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/** Raised when a request sees no byte from the server (connect or read) for `timeoutMs`. */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

async function collect(body: GitHttpRequest['body']): Promise<Buffer | undefined> {
  if (!body) return undefined;
  const parts: Uint8Array[] = [];
  // isomorphic-git passes arrays as well as async iterators here.
  for await (const chunk of body as AsyncIterable<Uint8Array>) parts.push(chunk);
  return Buffer.concat(parts);
}

async function* iterate(res: IncomingMessage): AsyncIterableIterator<Uint8Array> {
  for await (const chunk of res) yield chunk as Uint8Array;
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/**
 * An isomorphic-git HTTP client on node:http/https where every request fails with
 * RequestTimeoutError after `timeoutMs` without traffic (connect included) and stops when
 * `signal` aborts. Request bodies are buffered: dbops pushes are small.
 */
export function createHttpClient(opts: { timeoutMs: number; signal?: AbortSignal }): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const payload = await collect(req.body);
      const url = new URL(req.url);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      if (payload) headers['content-length'] = String(payload.length);
      const signals = [opts.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
      return new Promise<GitHttpResponse>((resolve, reject) => {
        const r = send(url, {
          method: req.method ?? 'GET',
          headers,
          timeout: opts.timeoutMs,
          signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
        });
        r.on('timeout', () => r.destroy(new RequestTimeoutError(opts.timeoutMs)));
        r.on('error', reject);
        r.on('response', (res) => {
          // The socket timeout stays armed while the body streams; errors then reach the reader.
          res.on('error', () => undefined);
          resolve({
            url: req.url,
            method: req.method ?? 'GET',
            headers: flatHeaders(res),
            body: iterate(res),
            statusCode: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
          });
        });
        r.end(payload);
      });
    },
  };
}
