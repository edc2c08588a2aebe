/**
 * A stand-in for the few comment endpoints of the GitHub and GitLab REST APIs that
 * deploy/ci/dbops-plan.sh calls (GitHub itself cannot run here), kept in memory. It answers
 * as they do: status codes, JSON bodies, a token header, and page-numbered lists with a Link
 * header (per_page, 30 by default on GitHub and 20 on GitLab, at most 100). It records every
 * request.
 *
 * GitHub (base /api/v3, as on GitHub Enterprise):
 *   GET|POST /repos/{owner}/{repo}/issues/{n}/comments, PATCH /repos/{owner}/{repo}/issues/comments/{id}
 * GitLab (base /api/v4):
 *   GET|POST /projects/{id}/merge_requests/{iid}/notes, PUT .../notes/{note_id}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A comment (GitHub) or note (GitLab); `system` notes are GitLab's own ("added 1 commit"). */
export interface Comment {
  id: number;
  body: string;
  author: string;
  system?: boolean;
}

/** One request as the server saw it. */
export interface Recorded {
  method: string;
  /** The path without the query, still percent-encoded. */
  path: string;
  page: number;
  /** Whether the token header was right. */
  authorized: boolean;
  status: number;
}

/** The running server: its base URLs, its threads and what it was asked. */
export interface ForgeServer {
  githubUrl: string;
  gitlabUrl: string;
  /** The comments of pull request `n` of `owner/repo`, created empty on first use. */
  github(repo: string, n: number): Comment[];
  /** The notes of merge request `iid` of project `id` (an ID or a path), created on first use. */
  gitlab(project: string, iid: number): Comment[];
  /** Adds a comment as someone else would; returns it. */
  seed(thread: Comment[], body: string, opts?: { author?: string; system?: boolean }): Comment;
  requests: Recorded[];
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The author of the comments the API creates (the token's user). */
export const botName = 'dbops-bot';

/** Starts the server on a free port of 127.0.0.1; `token` is the only one it accepts. */
export async function startForgeServer(token: string): Promise<ForgeServer> {
  const threads = new Map<string, Comment[]>();
  const thread = (key: string) => threads.get(key) ?? threads.set(key, []).get(key)!;
  const requests: Recorded[] = [];
  let nextId = 1000;

  const seed: ForgeServer['seed'] = (list, body, opts = {}) => {
    const c: Comment = { id: nextId++, body, author: opts.author ?? 'someone' };
    if (opts.system) c.system = true;
    list.push(c);
    return c;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const record: Recorded = {
      method: req.method ?? '',
      path: url.pathname,
      page: Number(url.searchParams.get('page') ?? 1),
      authorized: false,
      status: 0,
    };
    requests.push(record);
    readBody(req)
      .then((raw) => {
        const forge = url.pathname.startsWith('/api/v3/') ? 'github' : 'gitlab';
        record.authorized =
          forge === 'github'
            ? req.headers.authorization === `Bearer ${token}`
            : req.headers['private-token'] === token;
        if (!record.authorized) {
          throw new HttpError(401, forge === 'github' ? 'Bad credentials' : '401 Unauthorized');
        }
        const seg = url.pathname.split('/').slice(3).map(decodeURIComponent);
        const route = forge === 'github' ? githubRoute(seg) : gitlabRoute(seg);
        if (!route || !threads.has(route.key)) throw new HttpError(404, 'Not Found');
        const list = thread(route.key);
        const method = req.method ?? '';
        if (route.id === undefined && method === 'GET') {
          return sendPage(res, url, list, forge, record);
        }
        if (route.id === undefined && method === 'POST') {
          const c = seed(list, bodyOf(raw), { author: botName });
          return send(res, 201, view(c, forge), record);
        }
        const editMethod = forge === 'github' ? 'PATCH' : 'PUT';
        if (route.id !== undefined && method === editMethod) {
          const c = list.find((x) => x.id === route.id);
          if (!c) throw new HttpError(404, 'Not Found');
          if (c.author !== botName) throw new HttpError(403, 'only the author may edit');
          c.body = bodyOf(raw);
          return send(res, 200, view(c, forge), record);
        }
        throw new HttpError(405, 'Method Not Allowed');
      })
      .catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : 500;
        send(res, status, { message: e instanceof Error ? e.message : String(e) }, record);
      });
  });

  // GitHub's comment ids are per repository: the PATCH route names no pull request.
  const githubRoute = (seg: string[]): { key: string; id?: number } | undefined => {
    const [repos, owner, repo, issues, n, comments, extra] = seg;
    if (repos !== 'repos' || issues !== 'issues' || !owner || !repo) return undefined;
    if (n === 'comments' && comments && !extra) {
      const id = Number(comments);
      const key = [...threads.keys()].find(
        (k) => k.startsWith(`gh:${owner}/${repo}#`) && threads.get(k)!.some((c) => c.id === id),
      );
      return { key: key ?? '', id };
    }
    if (comments === 'comments' && !extra) return { key: `gh:${owner}/${repo}#${Number(n)}` };
    return undefined;
  };
  const gitlabRoute = (seg: string[]): { key: string; id?: number } | undefined => {
    const [projects, project, mrs, iid, notes, id, extra] = seg;
    if (projects !== 'projects' || mrs !== 'merge_requests' || notes !== 'notes' || extra) {
      return undefined;
    }
    return { key: `gl:${project}!${Number(iid)}`, ...(id ? { id: Number(id) } : {}) };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    githubUrl: `http://127.0.0.1:${port}/api/v3`,
    gitlabUrl: `http://127.0.0.1:${port}/api/v4`,
    github: (repo, n) => thread(`gh:${repo}#${n}`),
    gitlab: (project, iid) => thread(`gl:${project}!${iid}`),
    seed,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

// Both APIs take {"body": "..."} and refuse an empty or missing body.
function bodyOf(raw: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'Problems parsing JSON');
  }
  const body = (doc as { body?: unknown } | null)?.body;
  if (typeof body !== 'string' || body === '') throw new HttpError(422, 'body is missing');
  return body;
}

function view(c: Comment, forge: 'github' | 'gitlab') {
  return forge === 'github'
    ? { id: c.id, body: c.body, user: { login: c.author } }
    : { id: c.id, body: c.body, author: { username: c.author }, system: c.system ?? false };
}

function sendPage(
  res: ServerResponse,
  url: URL,
  list: Comment[],
  forge: 'github' | 'gitlab',
  record: Recorded,
): void {
  const perPage = Math.min(
    Number(url.searchParams.get('per_page') ?? (forge === 'github' ? 30 : 20)),
    100,
  );
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
  const last = Math.max(1, Math.ceil(list.length / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(url);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return `<${u.href}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
  ];
  if (links.length > 0) res.setHeader('Link', links.join(', '));
  if (forge === 'gitlab') {
    res.setHeader('X-Total', String(list.length));
    res.setHeader('X-Next-Page', page < last ? String(page + 1) : '');
  }
  const items = list.slice((page - 1) * perPage, page * perPage).map((c) => view(c, forge));
  send(res, 200, items, record);
}

function send(res: ServerResponse, status: number, doc: unknown, record: Recorded): void {
  record.status = status;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(doc));
}
