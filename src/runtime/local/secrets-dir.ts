/**
 * The local runtime's Secrets: a directory outside the desired-state repository, one entry
 * per Secret name, in one of three forms (README, "Secrets"):
 *
 * - `<name>.yaml` (or `.yml`): a Kubernetes Secret (`kind: Secret`, `data` in base64 and/or
 *   `stringData`), as `kubectl create secret ... -o yaml --dry-run=client` prints it;
 * - `<name>.env`: `key=value` lines (`#` comments), as `kubectl --from-env-file` reads them;
 * - `<name>/`: one file per key, as Kubernetes mounts a Secret into a pod.
 *
 * Entries must not be readable by other users (as ssh insists for its keys). A Secret dbops
 * generates (an auth Secret that did not exist) is written as `<name>.yaml`, mode 0600.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { codes, DbopsError, waiting } from '../../errors.js';
import { writeFileAtomic } from '../../platform/files.js';
import type { SecretData, SecretStore } from '../secrets.js';
import { secretRetryMs } from '../secrets.js';

const forms = ['.yaml', '.yml', '.env', ''] as const;
type Form = (typeof forms)[number];

/** A Secret name that is a plain file name: what Kubernetes allows (a DNS subdomain). */
const secretName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function unreadable(name: string, file: string, why: string, hint: string) {
  return waiting(codes.secretInvalid, `Secret ${name} (${file}) ${why}`, secretRetryMs, { hint });
}

/** The secrets dir `dir` as a SecretStore. */
export function secretsDir(dir: string): SecretStore {
  const where = `secrets dir ${dir}`;
  const howToCreate = (name: string, keys: string[]) =>
    `write ${join(dir, `${name}.yaml`)} (a Kubernetes Secret with ${keys.map((k) => `"${k}"`).join(', ')} under stringData), or ${join(dir, name)}/ with one file per key; mode 0600`;

  const entries = async (name: string): Promise<{ form: Form; path: string }[]> => {
    if (!secretName.test(name) || name.includes('..')) {
      throw unreadable(name, dir, 'is not a valid Secret name', 'use a DNS subdomain name');
    }
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unreadable(
        name,
        dir,
        'cannot be read: the secrets dir is not readable',
        `check ${dir}`,
      );
    }
    return forms
      .filter((f) => names.includes(`${name}${f}`))
      .map((form) => ({ form, path: join(dir, `${name}${form}`) }));
  };

  const read = async (name: string): Promise<SecretData | undefined> => {
    const found = await entries(name);
    if (found.length === 0) return undefined;
    if (found.length > 1) {
      const paths = found.map((f) => f.path).join(' and ');
      throw unreadable(name, paths, 'is there in more than one form', 'keep one of them');
    }
    const { form, path } = found[0]!;
    const info = await stat(path).catch(() => {
      throw unreadable(name, path, 'cannot be read', `check that dbops may read ${path}`);
    });
    // A directory may be listed by its group (as a mounted Secret's); its files may not be read.
    if ((info.mode & (form === '' ? 0o007 : 0o077)) !== 0) {
      throw unreadable(
        name,
        path,
        `is readable by other users (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`,
        `chmod ${form === '' ? '700' : '600'} ${path}`,
      );
    }
    try {
      if (form === '') return await readKeyFiles(name, path);
      const text = await readFile(path, 'utf8');
      return form === '.env' ? parseEnv(name, path, text) : parseSecretYaml(name, path, text);
    } catch (err) {
      if (err instanceof DbopsError) throw err;
      throw unreadable(name, path, 'cannot be read', `check that dbops may read ${path}`);
    }
  };

  const create = async (name: string, data: SecretData): Promise<SecretData> => {
    const existing = await read(name);
    if (existing) return existing;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // exclusive: a Secret its owner wrote meanwhile is never overwritten.
    await writeFileAtomic(join(dir, `${name}.yaml`), renderSecretYaml(name, data), {
      mode: 0o600,
      exclusive: true,
    });
    return (await read(name)) ?? data;
  };

  return { where, howToCreate, read, create };
}

/** A Secret as a directory of files, one per key (dot-files skipped, as a mounted Secret's). */
async function readKeyFiles(name: string, path: string): Promise<SecretData> {
  const out: SecretData = {};
  for (const key of (await readdir(path)).sort()) {
    if (key.startsWith('.')) continue;
    const file = join(path, key);
    const info = await stat(file);
    if (!info.isFile()) continue;
    if ((info.mode & 0o077) !== 0) {
      throw unreadable(
        name,
        file,
        `is readable by other users (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`,
        `chmod 600 ${file}`,
      );
    }
    out[key] = await readFile(file, 'utf8');
  }
  return out;
}

/** `key=value` lines; pure. Values are taken as written (no quotes removed, as kubectl does). */
export function parseEnv(name: string, path: string, text: string): SecretData {
  const out: SecretData = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
      throw unreadable(
        name,
        `${path}, line ${i + 1}`,
        'is not a key=value line',
        'write one key=value per line',
      );
    }
    out[key] = line.slice(eq + 1);
  });
  return out;
}

/** A Kubernetes Secret's YAML: `data` (base64) and `stringData` (which wins); pure. */
export function parseSecretYaml(name: string, path: string, text: string): SecretData {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const line = doc.errors[0]!.linePos?.[0].line;
    throw unreadable(
      name,
      path,
      `is not valid YAML${line ? ` (line ${line})` : ''}`,
      'write a Kubernetes Secret: kind: Secret, with data or stringData',
    );
  }
  const obj = doc.toJS({ maxAliasCount: 0 }) as unknown;
  const bad = (why: string) =>
    unreadable(name, path, why, 'write a Kubernetes Secret: kind: Secret, with data or stringData');
  if (!isRecord(obj) || obj.kind !== 'Secret')
    throw bad('is not a Kubernetes Secret (kind: Secret)');
  const meta = obj.metadata;
  if (isRecord(meta) && meta.name !== undefined && meta.name !== name) {
    throw bad(`names another Secret (metadata.name: ${JSON.stringify(meta.name)})`);
  }
  const out: SecretData = {};
  for (const [field, decode] of [
    ['data', (v: string) => Buffer.from(v, 'base64').toString('utf8')],
    ['stringData', (v: string) => v],
  ] as const) {
    const section = obj[field];
    if (section === undefined || section === null) continue;
    if (!isRecord(section)) throw bad(`has a ${field} that is not a map of keys`);
    for (const [k, v] of Object.entries(section)) {
      if (typeof v !== 'string') throw bad(`has a ${field}.${k} that is not a string`);
      if (field === 'data' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) {
        throw bad(`has a data.${k} that is not base64 (use stringData for plain text)`);
      }
      out[k] = decode(v);
    }
  }
  return out;
}

/** The YAML dbops writes for a Secret it creates; pure. */
export function renderSecretYaml(name: string, data: SecretData): string {
  const lines = [
    '# Created by dbops: the Secret a manifest names did not exist. Keep it out of Git.',
    'apiVersion: v1',
    'kind: Secret',
    'type: Opaque',
    'metadata:',
    `  name: ${name}`,
    'data:',
    ...Object.entries(data).map(([k, v]) => `  ${k}: ${Buffer.from(v, 'utf8').toString('base64')}`),
  ];
  return `${lines.join('\n')}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
