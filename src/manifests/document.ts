/**
 * One YAML document -> a typed entry: kind and apiVersion checked, schema validated,
 * normalised. Problems stay attached to the document; nothing here looks at other documents.
 */
import { isManifestKind, kinds } from '../api/schemas/kinds.js';
import type { ManifestKind } from '../api/schemas/kinds.js';
import { codes } from '../errors.js';
import { issuesToProblems } from './issues.js';
import { kindRegistry, validName } from './kind-registry.js';
import type { DocValue, RawDocument } from './kind-registry.js';
import { describeValue, error, warning } from './problem.js';
import type { Problem } from './problem.js';
import { notRefused, screenKnownFields } from './known-fields.js';
import { ignoredPaths } from './schema-walk.js';
import { didYouMean } from './suggest.js';

/** A document read on its own: its problems, the database it concerns when known, its value. */
export interface DocResult {
  problems: Problem[];
  kind?: ManifestKind;
  /** metadata.name, when it is a valid name. */
  name?: string;
  /** The database the document is about (its own name, or its databaseRef), when known. */
  database?: string;
  value?: DocValue;
}

/** `a`, `a or b`, `a, b or c`. */
const orList = (words: string[]) =>
  words.length < 3 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
const accepted = `${Object.entries(kinds)
  .map(([k, versions]) => `${k} (${orList(Object.keys(versions))})`)
  .join(', ')}, and ConfigMap (v1, for init scripts)`;

/** Reads one document; never throws. */
export function readDocument(value: unknown): DocResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      problems: [
        error(
          codes.invalidField,
          [],
          `a manifest must be a mapping with apiVersion, kind, metadata and spec, got ${describeValue(value)}`,
        ),
      ],
    };
  }
  const doc = value as Record<string, unknown>;
  const kind = doc.kind;
  if (kind === undefined)
    return {
      problems: [error(codes.missingField, ['kind'], `kind is required: one of ${accepted}`)],
    };
  if (!isManifestKind(kind)) {
    const message = `unknown kind ${describeValue(kind)}.${didYouMean(typeof kind === 'string' ? kind : '', Object.keys(kinds))} dbops reads ${accepted}`;
    return { problems: [error(codes.unknownKind, ['kind'], message)] };
  }
  const raw = doc as RawDocument;
  const name = validName(raw.metadata?.name);
  const database = kindRegistry[kind].databaseOf(raw);
  const base = {
    kind,
    ...(name === undefined ? {} : { name }),
    ...(database === undefined ? {} : { database }),
  };
  const versions = kinds[kind];
  const apiVersion = doc.apiVersion;
  const schema = typeof apiVersion === 'string' ? versions[apiVersion] : undefined;
  if (schema === undefined) {
    const want = orList(Object.keys(versions));
    const p =
      apiVersion === undefined
        ? error(
            codes.missingField,
            ['apiVersion'],
            `apiVersion is required: a ${kind} uses ${want}`,
          )
        : error(
            codes.unknownApiVersion,
            ['apiVersion'],
            `a ${kind} must use apiVersion ${want}, got ${describeValue(apiVersion)}`,
          );
    return { ...base, problems: [p] };
  }
  const screened = screenKnownFields(kind, apiVersion as string, value);
  const moot = notRefused(screened.refused);
  const parsed = schema.safeParse(screened.value);
  if (!parsed.success) {
    const issues = issuesToProblems(parsed.error.issues, screened.value, schema).filter(moot);
    return { ...base, problems: [...screened.problems, ...issues] };
  }
  const problems = [
    ...screened.problems,
    ...ignoredPaths(schema, screened.value)
      .map((path) => warning(codes.unknownField, path, 'is ignored by dbops', true))
      .filter(moot),
  ];
  const r = kindRegistry[kind].normalise(parsed.data);
  return { ...base, problems: [...problems, ...r.problems.filter(moot)], value: r.value };
}
