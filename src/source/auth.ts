import { readFile, stat } from 'node:fs/promises';
import { DbopsError, codes, stalled } from '../errors.js';

/** Credentials for an http(s) Git remote: a token, or a username and password. */
export interface GitAuth {
  username?: string;
  password?: string;
  token?: string;
}

/**
 * Reads credentials from DBOPS_GIT_TOKEN (optionally with DBOPS_GIT_USERNAME), or
 * DBOPS_GIT_USERNAME + DBOPS_GIT_PASSWORD. Returns undefined when none is set; throws a
 * config error when only half of a username/password pair is set.
 */
export function authFromVars(env: NodeJS.ProcessEnv): GitAuth | undefined {
  const token = env.DBOPS_GIT_TOKEN?.trim();
  const username = env.DBOPS_GIT_USERNAME?.trim();
  const password = env.DBOPS_GIT_PASSWORD;
  if (token) return username ? { username, token } : { token };
  if (username && password) return { username, password };
  if (username || password) {
    throw stalled(
      codes.config,
      `${username ? 'DBOPS_GIT_USERNAME' : 'DBOPS_GIT_PASSWORD'} is set without ${username ? 'DBOPS_GIT_PASSWORD' : 'DBOPS_GIT_USERNAME'}`,
      { hint: 'set both, or set DBOPS_GIT_TOKEN instead' },
    );
  }
  return undefined;
}

/**
 * Parses the first line of a credentials file: `username:password` or a bare token.
 * Throws a config error when the line is empty.
 */
export function parseCredentials(text: string, file: string): GitAuth {
  const line = (text.split(/\r?\n/)[0] ?? '').trim();
  if (!line) {
    throw stalled(codes.config, `credentials file ${file} is empty`, {
      hint: 'write a token, or username:password, on its first line',
    });
  }
  const colon = line.indexOf(':');
  if (colon < 0) return { token: line };
  const username = line.slice(0, colon);
  const password = line.slice(colon + 1);
  if (!username || !password) {
    throw stalled(codes.config, `credentials file ${file} has an empty username or password`, {
      hint: 'write username:password (or a bare token) on its first line',
    });
  }
  return { username, password };
}

/** Throws a config error when a file mode lets group or others read (or write) the file. */
export function checkCredentialsMode(mode: number, file: string): void {
  if ((mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  throw stalled(
    codes.config,
    `credentials file ${file} is accessible by group or others (mode ${octal}); refusing to use it`,
    { hint: `run: chmod 600 ${file}` },
  );
}

/**
 * Credentials for the Git remote: DBOPS_GIT_TOKEN, or DBOPS_GIT_USERNAME + DBOPS_GIT_PASSWORD,
 * or else the first line of `credentialsFile` (which must be mode 0600 or stricter).
 * Returns undefined when nothing is configured.
 */
export async function authFromEnv(
  env: NodeJS.ProcessEnv,
  opts: { credentialsFile?: string } = {},
): Promise<GitAuth | undefined> {
  const fromVars = authFromVars(env);
  if (fromVars || !opts.credentialsFile) return fromVars;
  const file = opts.credentialsFile;
  let mode: number;
  let text: string;
  try {
    mode = (await stat(file)).mode;
    checkCredentialsMode(mode, file);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof DbopsError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw stalled(codes.config, `cannot read credentials file ${file} (${code})`, {
      hint: 'check the path and that dbops may read it',
    });
  }
  return parseCredentials(text, file);
}

/** The Authorization header value for an auth (tokens go as the Basic password). */
export function basicAuthHeader(auth: GitAuth): string {
  const username = auth.token ? (auth.username ?? 'x-access-token') : (auth.username ?? '');
  const password = auth.token ?? auth.password ?? '';
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
