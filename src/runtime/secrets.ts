/**
 * Secrets a manifest names (`spec.authSecret.name`, `spec.configuration.secretName`): never
 * in Git. Each runtime keeps them in its own place (the local runtime's secrets dir, the
 * Kubernetes runtime's Secrets) behind SecretStore; what a database takes from them is
 * decided here, once, for both. Messages name Secrets and keys, never their values.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseKind, DatabaseSpec } from '../api/desired.js';
import { codes, DbopsError, waiting } from '../errors.js';
import { parseConfigText } from '../manifests/config-text.js';
import type { Credentials } from './runtime.js';

/** A Secret's keys and their values (decoded text). */
export type SecretData = Record<string, string>;

/** Where a runtime keeps the Secrets that manifests name. */
export interface SecretStore {
  /** Where Secrets are looked for, for messages: "secrets dir /etc/dbops/secrets". */
  readonly where: string;
  /** How to create Secret `name` with `keys`, for messages. */
  howToCreate(name: string, keys: string[]): string;
  /**
   * The Secret's data, or undefined when no Secret of that name exists. A Secret that exists
   * but cannot be read or parsed is a waiting DbopsError that names it (never its content).
   */
  read(name: string): Promise<SecretData | undefined>;
  /**
   * Creates Secret `name` for database `spec` unless one exists; returns the Secret as it is
   * afterwards (one that existed, or was created meanwhile, wins over `data`).
   */
  create(name: string, data: SecretData, spec: DatabaseSpec): Promise<SecretData>;
}

/** How long a database waits before its missing or broken Secret is looked at again. */
export const secretRetryMs = 5_000;

/** The login dbops creates: `default` for Redis (its ACL default user), `postgres` for Postgres. */
export function usernameFor(kind: DatabaseKind): string {
  return kind === 'Redis' ? 'default' : 'postgres';
}

/** New credentials for a database of `kind`: 32 random bytes, base64url. */
export function generateCredentials(kind: DatabaseKind): Credentials {
  return { username: usernameFor(kind), password: randomBytes(32).toString('base64url') };
}

/**
 * The admin credentials of `spec` from the Secret `spec.authSecret.name` names: read when it
 * exists, else written there from `fresh()` (generated, as KubeDB does, or the ones the
 * database already runs with); with authSecret.externallyManaged, waited for instead. A Secret without a password, or
 * with a username dbops does not log in as, is a waiting condition naming it.
 */
export async function credentialsFromSecret(
  store: SecretStore,
  spec: DatabaseSpec,
  name: string,
  fresh: () => Credentials,
): Promise<Credentials> {
  let data = await store.read(name);
  if (!data && spec.authSecretExternal && name === spec.authSecretName) {
    throw waiting(
      codes.secretMissing,
      `Secret ${name} (spec.authSecret.name of ${spec.name}, externallyManaged, in ${store.where}) does not exist`,
      secretRetryMs,
      { hint: `create it: ${store.howToCreate(name, ['username', 'password'])}` },
    );
  }
  data ??= await store.create(name, { ...fresh() }, spec);
  return credentialsOf(store, spec, name, data);
}

/** Checks an auth Secret's keys; pure apart from the store's wording. */
export function credentialsOf(
  store: Pick<SecretStore, 'where' | 'howToCreate'>,
  spec: Pick<DatabaseSpec, 'name' | 'kind'>,
  name: string,
  data: SecretData,
): Credentials {
  const username = usernameFor(spec.kind);
  const what = `Secret ${name} (spec.authSecret.name of ${spec.name}, in ${store.where})`;
  if (!data.password) {
    throw waiting(codes.secretInvalid, `${what} has no "password" key`, secretRetryMs, {
      hint: `add the key: ${store.howToCreate(name, ['username', 'password'])}`,
    });
  }
  if (data.username !== undefined && data.username !== username) {
    throw waiting(
      codes.secretInvalid,
      `${what} has username "${data.username}"; dbops logs in to ${spec.kind} as "${username}"`,
      secretRetryMs,
      { hint: `set "username" to "${username}" in the Secret, or remove the key` },
    );
  }
  return { username, password: data.password };
}

/** The key of a configuration Secret that holds the server's settings (as in KubeDB). */
export function configKeyOf(kind: DatabaseKind): 'redis.conf' | 'user.conf' {
  return kind === 'Redis' ? 'redis.conf' : 'user.conf';
}

/**
 * The settings of the Secret `spec.configuration.secretName` names, which lie between dbops'
 * defaults and `inline` (inline wins, as in KubeDB); empty when the spec names none. A
 * missing Secret, key or bad line is a waiting condition naming the Secret and the line,
 * never the value.
 */
export async function configFromSecret(
  store: SecretStore,
  spec: DatabaseSpec,
): Promise<Record<string, string>> {
  const name = spec.configSecretName;
  if (!name) return {};
  const key = configKeyOf(spec.kind);
  const what = `Secret ${name} (spec.configuration.secretName of ${spec.name}, in ${store.where})`;
  const data = await store.read(name);
  if (!data) {
    throw waiting(codes.secretMissing, `${what} does not exist`, secretRetryMs, {
      hint: `create it: ${store.howToCreate(name, [key])}`,
    });
  }
  return configOf(what, key, data);
}

/** Parses a configuration Secret's settings; pure. */
export function configOf(what: string, key: string, data: SecretData): Record<string, string> {
  const text = data[key];
  if (text === undefined) {
    const others = Object.keys(data).sort();
    throw waiting(
      codes.secretInvalid,
      `${what} has no "${key}" key${others.length > 0 ? ` (it has ${others.map((k) => `"${k}"`).join(', ')})` : ''}`,
      secretRetryMs,
      { hint: `put the settings under the key "${key}"` },
    );
  }
  const { values, issues } = parseConfigText(key as 'redis.conf' | 'user.conf', text);
  if (issues.length > 0) {
    const message = `${what}: ${issues.map((i) => i.message).join('; ')}`;
    throw waiting(issues[0]!.code, message, secretRetryMs, {
      hint: `fix the Secret's "${key}"; dbops reads it again in ${secretRetryMs / 1000} s`,
    });
  }
  return values;
}

/**
 * A server's rejection of a setting that came from the configuration Secret, without the
 * value (the servers quote it); other errors as they are.
 */
export function withoutSecretValues(
  err: unknown,
  spec: DatabaseSpec,
  fromSecret: Record<string, string>,
): unknown {
  if (!(err instanceof DbopsError) || !spec.configSecretName) return err;
  const key = /"([^"]+)"/.exec(err.message)?.[1];
  if (!key || !(key in fromSecret) || key in spec.config) return err;
  return new DbopsError(
    err.code,
    `the server rejects "${key}" from Secret ${spec.configSecretName} (spec.configuration.secretName of ${spec.name}); its value is not shown`,
    { retry: 'stalled', hint: `fix or remove "${key}" in the Secret` },
  );
}

/** `spec` with the configuration Secret's settings under its own (inline wins). */
export function layeredConfig(
  spec: DatabaseSpec,
  fromSecret: Record<string, string>,
): DatabaseSpec {
  if (Object.keys(fromSecret).length === 0) return spec;
  return { ...spec, config: { ...fromSecret, ...spec.config } };
}
