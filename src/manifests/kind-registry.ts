/**
 * What each manifest kind is once its schema (src/api/schemas/kinds.ts) accepted a document:
 * its family, the database kind it is or refers to, which database a document concerns, and
 * the normaliser that turns it into a value. A kind in ManifestKind without an entry here is a
 * type error.
 */
import type { DatabaseKind, DatabaseSpec } from '../api/desired.js';
import { isDnsLabel } from '../api/names.js';
import type { ManifestKind } from '../api/schemas/kinds.js';
import { normaliseAutoscaler } from './normalise-autoscaler.js';
import type { RawAutoscaler, StorageSection } from './normalise-autoscaler.js';
import { normaliseDatabase } from './normalise-database.js';
import type { RawDatabase } from './normalise-database.js';
import { normaliseOps } from './normalise-ops.js';
import type { OpsContent, RawOps } from './normalise-ops.js';
import type { Problem } from './problem.js';

/** What a document turned out to be; the value is undefined when the document is invalid. */
export type DocValue =
  | { type: 'database'; spec: DatabaseSpec | undefined }
  | { type: 'ops'; op: OpsContent | undefined }
  | {
      type: 'autoscaler';
      autoscaler: ReturnType<typeof normaliseAutoscaler>['autoscaler'];
      section: StorageSection | undefined;
    };

/** A database, a day-2 operation on one (OpsRequest), or a database's autoscaler. */
export type KindFamily = DocValue['type'];

/** A document as read before validation: its metadata.name and spec, when there are some. */
export interface RawDocument {
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
}

/** What dbops knows of one manifest kind besides its schemas. */
export interface KindInfo {
  family: KindFamily;
  /** The database kind the kind is (for a database) or refers to (for the others). */
  databaseKind: DatabaseKind;
  /** The name of the database a document concerns, when it is a valid name. */
  databaseOf: (doc: RawDocument) => string | undefined;
  /** Normalises a document its schema accepted. */
  normalise: (typed: unknown) => { problems: Problem[]; value: DocValue };
}

/** A name the document gives, when it is a valid DNS label. */
export const validName = (v: unknown): string | undefined =>
  typeof v === 'string' && isDnsLabel(v) ? v : undefined;

const database = (databaseKind: DatabaseKind): KindInfo => ({
  family: 'database',
  databaseKind,
  databaseOf: (doc) => validName(doc.metadata?.name),
  normalise: (typed) => {
    const r = normaliseDatabase(typed as RawDatabase);
    return { problems: r.problems, value: { type: 'database', spec: r.spec } };
  },
});

const databaseRefOf = (doc: RawDocument): string | undefined =>
  validName((doc.spec?.databaseRef as Record<string, unknown> | undefined)?.name);

const opsRequest = (databaseKind: DatabaseKind): KindInfo => ({
  family: 'ops',
  databaseKind,
  databaseOf: databaseRefOf,
  normalise: (typed) => {
    const r = normaliseOps(typed as RawOps);
    return { problems: r.problems, value: { type: 'ops', op: r.op } };
  },
});

const autoscaler = (databaseKind: DatabaseKind): KindInfo => ({
  family: 'autoscaler',
  databaseKind,
  databaseOf: databaseRefOf,
  normalise: (typed) => {
    const r = normaliseAutoscaler(typed as RawAutoscaler);
    const value = { type: 'autoscaler' as const, autoscaler: r.autoscaler, section: r.section };
    return { problems: r.problems, value };
  },
});

/** Every manifest kind dbops reads -> what it is. */
export const kindRegistry: Record<ManifestKind, KindInfo> = {
  Redis: database('Redis'),
  Postgres: database('Postgres'),
  RedisOpsRequest: opsRequest('Redis'),
  PostgresOpsRequest: opsRequest('Postgres'),
  RedisAutoscaler: autoscaler('Redis'),
  PostgresAutoscaler: autoscaler('Postgres'),
};

/** The family of a document's kind; undefined for a document of no kind dbops reads. */
export function familyOf(kind: ManifestKind | undefined): KindFamily | undefined {
  return kind === undefined ? undefined : kindRegistry[kind].family;
}
