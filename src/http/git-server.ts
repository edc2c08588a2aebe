import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { ensureGit } from './git-seed.js';

/** A running smart-HTTP Git server. */
export interface GitServer {
  /** The clone URL of a repository under the root (`demo` -> `http://127.0.0.1:PORT/demo.git`). */
  url(repo: string): string;
  port: number;
  close(): Promise<void>;
}

/**
 * Returns the decoded request path when it is safe to hand to http-backend as PATH_INFO, or
 * undefined for traversal (`..`), backslashes, NUL bytes or bad percent-encoding. Pure.
 */
export function safePathInfo(rawPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (!path.startsWith('/') || path.includes('\\') || path.includes('\0')) return undefined;
  if (path.split('/').some((s) => s === '..' || s === '.')) return undefined;
  return path;
}

/** True when an Authorization header carries exactly these Basic credentials. Pure. */
export function basicAuthOk(
  header: string | undefined,
  auth: { username: string; password: string },
): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  const got = Buffer.from(m[1], 'base64');
  const want = Buffer.from(`${auth.username}:${auth.password}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The head of a CGI response: status, headers, and where the body starts. */
export interface CgiHead {
  status: number;
  statusText: string;
  headers: [string, string][];
  bodyStart: number;
}

/**
 * Parses CGI response headers (`Status: 404 Not Found`, `Content-Type: ...`) from the start of
 * http-backend's stdout. Returns undefined until the blank line that ends them has arrived.
 */
export function parseCgiHead(buf: Buffer): CgiHead | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  if (end < 0) return undefined;
  const bodyStart = end + (end === crlf ? 4 : 2);
  let status = 200;
  let statusText = 'OK';
  const headers: [string, string][] = [];
  for (const line of buf.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const m = /^(\d{3})\s*(.*)$/.exec(value);
      status = m ? Number(m[1]) : 500;
      statusText = m?.[2] || '';
    } else headers.push([name, value]);
  }
  return { status, statusText, headers, bodyStart };
}

/** The CGI environment for one request (see git-http-backend(1)). Pure. */
export function cgiEnv(
  req: { method: string; pathInfo: string; query: string; headers: IncomingMessage['headers'] },
  opts: { root: string; remoteUser?: string; remoteAddr?: string },
): NodeJS.ProcessEnv {
  const h = req.headers;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: opts.root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    PATH_INFO: req.pathInfo,
    REQUEST_METHOD: req.method,
    QUERY_STRING: req.query,
    REMOTE_ADDR: opts.remoteAddr ?? '127.0.0.1',
  };
  if (h['content-type']) env.CONTENT_TYPE = h['content-type'];
  if (h['content-length']) env.CONTENT_LENGTH = h['content-length'];
  if (h['content-encoding']) env.HTTP_CONTENT_ENCODING = h['content-encoding'];
  const protocol = h['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = env.HTTP_GIT_PROTOCOL = protocol;
  if (opts.remoteUser) env.REMOTE_USER = opts.remoteUser;
  return env;
}

function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { root: string; auth?: { username: string; password: string }; log?: Logger },
): void {
  if (opts.auth && !basicAuthOk(req.headers.authorization, opts.auth)) {
    res
      .writeHead(401, { 'WWW-Authenticate': 'Basic realm="dbops git"' })
      .end('authentication required\n');
    return;
  }
  // The raw path: WHATWG URL parsing would silently resolve `%2e%2e` segments first.
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const pathInfo = safePathInfo(q < 0 ? raw : raw.slice(0, q));
  if (!pathInfo) {
    res.writeHead(400).end('bad path\n');
    return;
  }
  const env = cgiEnv(
    {
      method: req.method ?? 'GET',
      pathInfo,
      query: q < 0 ? '' : raw.slice(q + 1),
      headers: req.headers,
    },
    { root: opts.root, remoteUser: opts.auth?.username, remoteAddr: req.socket.remoteAddress },
  );
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let head: CgiHead | undefined;
  let pending = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    head = parseCgiHead(pending);
    if (!head) return;
    child.stdout.off('data', onHead);
    res.writeHead(head.status, head.statusText, head.headers.flat());
    res.write(pending.subarray(head.bodyStart));
    // From here on, pipe so a slow client slows http-backend down instead of filling memory.
    child.stdout.pipe(res);
  };
  child.stdout.on('data', onHead);
  child.stderr.on('data', (chunk: Buffer) =>
    opts.log?.debug({ path: pathInfo }, chunk.toString().trim()),
  );
  child.on('error', (err) => {
    opts.log?.warn({ err }, 'git http-backend failed to start');
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
  child.on('close', (code) => {
    if (!head && !res.headersSent) res.writeHead(code === 0 ? 200 : 500);
    res.end();
  });
  // A client that hangs up mid-request must not leave http-backend waiting on stdin.
  res.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  child.stdin.on('error', () => undefined);
  req.pipe(child.stdin);
}

/**
 * Serves the bare repositories under `root` over smart HTTP (fetch and push) through
 * `git http-backend`, on 127.0.0.1 by default, with optional Basic auth. Throws a prerequisite
 * error when git is not installed.
 */
export async function startGitServer(opts: {
  root: string;
  host?: string;
  port?: number;
  auth?: { username: string; password: string };
  log?: Logger;
}): Promise<GitServer> {
  await ensureGit();
  const root = resolve(opts.root);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => handle(req, res, { ...opts, root }));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  opts.log?.info({ root, port }, 'git server listening');
  return {
    port,
    url: (repo) =>
      `http://${shown}:${port}/${repo.replace(/^\/+/, '').replace(/(\.git)?$/, '.git')}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
