/**
 * Rules across documents: unique names, references to existing databases of the right kind
 * and mode, and immutability of executed OpsRequests. Errors are attributed to the database
 * the document concerns, so that only that database waits for a fix.
 */
import { codes } from '../errors.js';
import type { ManifestError } from '../api/manifest-error.js';
import type { Entry } from './entry.js';
import { toManifestError } from './entry.js';
import { error } from './problem.js';
import type { PathSegment } from './problem.js';
import { didYouMean } from './suggest.js';

const dbKindOf: Record<string, string> = {
  RedisOpsRequest: 'Redis',
  PostgresOpsRequest: 'Postgres',
  RedisAutoscaler: 'Redis',
  PostgresAutoscaler: 'Postgres',
};

function groupByName(entries: Entry[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    if (e.name === undefined) continue;
    const list = groups.get(e.name);
    if (list) list.push(e);
    else groups.set(e.name, [e]);
  }
  return groups;
}

function duplicates(entries: Entry[], what: string, out: ManifestError[]): void {
  for (const [name, list] of groupByName(entries)) {
    if (list.length < 2) continue;
    for (const e of list) {
      const others = list
        .filter((o) => o !== e)
        .map((o) => `${o.file}:${o.origin.line ?? 1} (${o.kind})`);
      const message = `${what} "${name}" is also defined in ${others.join(', ')}: ${what} names must be unique; rename or remove one`;
      out.push(toManifestError(e, error(codes.duplicateName, ['metadata', 'name'], message)));
    }
  }
}

/** Applies the cross-document rules; returns the errors found. Linear in the number of documents. */
export function crossRules(
  entries: Entry[],
  executedOps: ReadonlyMap<string, string> | undefined,
): ManifestError[] {
  const out: ManifestError[] = [];
  const dbs = entries.filter((e) => e.kind === 'Redis' || e.kind === 'Postgres');
  const ops = entries.filter(
    (e) => e.kind === 'RedisOpsRequest' || e.kind === 'PostgresOpsRequest',
  );
  const scalers = entries.filter(
    (e) => e.kind === 'RedisAutoscaler' || e.kind === 'PostgresAutoscaler',
  );
  duplicates(dbs, 'database', out);
  duplicates(ops, 'OpsRequest', out);
  duplicates(scalers, 'autoscaler', out);
  const byName = new Map<string, Entry>();
  for (const e of dbs) if (e.name !== undefined && !byName.has(e.name)) byName.set(e.name, e);
  const fail = (
    e: Entry,
    path: PathSegment[],
    code: ManifestError['code'],
    message: string,
    atKey = false,
  ) => out.push(toManifestError(e, { ...error(code, path, message), atKey }));

  const checkRef = (e: Entry, name: string): Entry | undefined => {
    const db = byName.get(name);
    if (!db) {
      fail(
        e,
        ['spec', 'databaseRef', 'name'],
        codes.unknownDatabase,
        `no database named "${name}" in this revision.${didYouMean(name, byName.keys())} Add databases/${name}.yaml or fix the name`,
      );
      return undefined;
    }
    const want = dbKindOf[e.kind ?? ''];
    if (db.kind !== want) {
      fail(
        e,
        ['kind'],
        codes.invalidField,
        `a ${e.kind} cannot refer to ${db.kind} database "${name}" (${db.file}): use kind ${db.kind}${e.kind?.replace(/^(Redis|Postgres)/, '') ?? ''}`,
      );
      return undefined;
    }
    return db;
  };

  for (const e of ops) {
    const op = e.op;
    if (!op) continue;
    const recorded = executedOps?.get(op.name);
    if (recorded !== undefined && recorded !== op.digest) {
      fail(
        e,
        ['metadata', 'name'],
        codes.opsEdited,
        `OpsRequest ${op.name} was executed with other content; an executed OpsRequest is immutable: revert this edit and create a new OpsRequest instead`,
      );
    }
    const spec = checkRef(e, op.database)?.spec;
    if (!spec) continue;
    if (op.type === 'VolumeExpansion' && spec.storageType === 'Ephemeral') {
      fail(
        e,
        ['spec', 'type'],
        codes.invalidField,
        `database "${spec.name}" uses storageType Ephemeral: it has no volume to expand`,
      );
    }
    if (op.type === 'HorizontalScaling' && spec.kind === 'Redis' && spec.mode === 'Standalone') {
      fail(
        e,
        ['spec', 'horizontalScaling'],
        codes.invalidField,
        `database "${spec.name}" is a Standalone Redis, which runs one server: scaling needs mode: Cluster`,
        true,
      );
    }
  }

  const scalerOf = new Map<string, string>();
  for (const e of scalers) {
    const a = e.autoscaler;
    if (!a) continue;
    const spec = checkRef(e, a.database)?.spec;
    if (!spec) continue;
    const first = scalerOf.get(spec.name);
    if (first !== undefined && first !== a.name) {
      fail(
        e,
        ['spec', 'databaseRef', 'name'],
        codes.invalidField,
        `database "${spec.name}" already has the autoscaler "${first}": keep one autoscaler per database`,
      );
      continue;
    }
    scalerOf.set(spec.name, a.name);
    if (spec.storageType === 'Ephemeral') {
      fail(
        e,
        ['spec', 'storage'],
        codes.invalidField,
        `database "${spec.name}" uses storageType Ephemeral: it has no volume to autoscale`,
        true,
      );
    }
    const mode = spec.kind === 'Redis' ? spec.mode.toLowerCase() : 'postgres';
    if (e.section !== undefined && e.section !== mode) {
      fail(
        e,
        ['spec', 'storage', e.section],
        codes.invalidField,
        `database "${spec.name}" is in ${spec.kind === 'Redis' ? spec.mode : 'Postgres'} mode: use storage.${mode}`,
        true,
      );
    }
  }
  return out;
}
