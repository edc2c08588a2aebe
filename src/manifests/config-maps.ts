/**
 * ConfigMap manifests of the desired-state repository (`apiVersion: v1`, `kind: ConfigMap`,
 * as `kubectl create configmap ... --dry-run=client -o yaml` writes them): what a database's
 * spec.init.script.configMap names. dbops reads their `data`; it applies them nowhere.
 */
import { createHash } from 'node:crypto';
import type { InitScripts, Origin } from '../api/desired.js';
import { codes } from '../errors.js';
import { describeValue, error } from './problem.js';
import type { Problem } from './problem.js';

/** A ConfigMap read from the repository. */
export interface ConfigMapDoc {
  name: string;
  data: Record<string, string>;
}

/** A Kubernetes object name (DNS subdomain), as ConfigMaps have. */
const subdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** True for a document that says it is a ConfigMap. */
export function isConfigMapDocument(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<string, unknown>).kind === 'ConfigMap'
  );
}

/** Reads a ConfigMap document; pure, never throws. */
export function readConfigMap(value: Record<string, unknown>): {
  problems: Problem[];
  configMap?: ConfigMapDoc;
} {
  const problems: Problem[] = [];
  if (value.apiVersion !== 'v1') {
    problems.push(
      error(
        codes.unknownApiVersion,
        ['apiVersion'],
        `a ConfigMap uses apiVersion v1, got ${describeValue(value.apiVersion)}`,
      ),
    );
  }
  const meta = value.metadata as Record<string, unknown> | undefined;
  const name = meta?.name;
  if (typeof name !== 'string' || !subdomain.test(name)) {
    problems.push(
      error(
        codes.invalidName,
        ['metadata', 'name'],
        `a ConfigMap needs metadata.name, a DNS subdomain such as pg-init, got ${describeValue(name)}`,
      ),
    );
  }
  if (value.binaryData !== undefined) {
    problems.push(
      error(
        codes.unsupported,
        ['binaryData'],
        'binaryData is not read: dbops runs init scripts from data (text); put the SQL there, not compressed',
      ),
    );
  }
  const data: Record<string, string> = {};
  const raw = value.data ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(
      error(
        codes.invalidField,
        ['data'],
        `must be a map of file names to text, got ${describeValue(raw)}`,
      ),
    );
  } else {
    for (const [key, text] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof text === 'string') data[key] = text;
      else
        problems.push(
          error(
            codes.invalidField,
            ['data', key],
            `must be text, got ${describeValue(text)}: quote it`,
          ),
        );
    }
  }
  if (problems.length > 0 || typeof name !== 'string') return { problems };
  return { problems, configMap: { name, data } };
}

/** Why a ConfigMap key cannot be an init script of a Postgres, or undefined when it can. */
export function initScriptProblem(key: string): string | undefined {
  if (/\.sql$/.test(key)) return undefined;
  if (/\.sh$/.test(key))
    return `"${key}" is a shell script: dbops runs init scripts over a database connection, never a shell on the host; write it as a .sql file`;
  if (/\.sql\.gz$/.test(key))
    return `"${key}" is compressed: put the SQL itself in a .sql key of data`;
  return `"${key}" is not a .sql file: init scripts are the .sql keys of the ConfigMap; rename it or move it to another ConfigMap`;
}

/** The init scripts of a ConfigMap: its .sql keys in key order (as a mounted directory sorts). */
export function initScriptsOf(doc: ConfigMapDoc, origin: Origin): InitScripts {
  const files = Object.keys(doc.data)
    .sort()
    .map((key) => ({ key, sql: doc.data[key]! }));
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.key}\0${f.sql}\0`);
  return { configMap: doc.name, origin, files, digest: hash.digest('hex') };
}
