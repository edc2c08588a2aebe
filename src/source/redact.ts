import { basicAuthHeader, type GitAuth } from './auth.js';

/** A remote URL split into its credential-free form and the credentials it embedded. */
export interface ParsedRemote {
  /** The URL without `user:pass@`, safe for messages, logs and cache keys. */
  url: string;
  /** Credentials taken from the URL, when it carried any. */
  auth: GitAuth | undefined;
}

/**
 * Splits `https://user:pass@host/repo.git` into a clean URL and its credentials. Returns the
 * input unchanged (no auth) when it is not a parsable URL.
 */
export function parseRemoteUrl(raw: string): ParsedRemote {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: stripUserInfo(raw), auth: undefined };
  }
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const auth = username || password ? { username, password } : undefined;
  return { url: u.toString().replace(/\/$/, ''), auth };
}

/** Removes any `user:pass@` part from URLs found inside free text. */
export function stripUserInfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/** The secret strings of an auth value, with their URL-encoded forms, longest first. */
export function secretsOf(auth: GitAuth | undefined): string[] {
  if (!auth) return [];
  const raw = [auth.password, auth.token].filter((s): s is string => !!s && s.length > 0);
  const all = new Set<string>();
  for (const s of raw) {
    all.add(s);
    all.add(encodeURIComponent(s));
    all.add(Buffer.from(s).toString('base64'));
  }
  if (raw.length > 0) all.add(basicAuthHeader(auth).slice('Basic '.length));
  return [...all].sort((a, b) => b.length - a.length);
}

/**
 * Makes text safe to show: strips URL credentials, then replaces every known secret (plain,
 * URL-encoded, base64) with `***`, and drops Basic/Bearer authorization values.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = stripUserInfo(text);
  for (const s of secrets) out = out.split(s).join('***');
  return out.replace(/\b(Basic|Bearer|token)\s+[A-Za-z0-9+/=._-]{8,}/g, '$1 ***');
}

/**
 * Copies an error into a plain Error whose message is redacted, keeping its name and code,
 * so a cause chain can be attached to a DbopsError without carrying URLs, headers or bodies.
 */
export function safeCause(err: unknown, secrets: readonly string[]): Error {
  const src = err instanceof Error ? err : new Error(String(err));
  const copy = new Error(redact(src.message, secrets));
  copy.name = src.name;
  const code = (src as { code?: unknown }).code;
  if (typeof code === 'string') (copy as Error & { code: string }).code = code;
  // The original stack starts with the unredacted message.
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
