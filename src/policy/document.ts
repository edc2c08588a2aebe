/**
 * One YAML document -> one policy, or the located problems that keep it from being one:
 * kind and apiVersion, unknown rule types, one rule per document, the schema, then the rule.
 * Nothing here looks at other documents.
 */
import { isDnsLabel } from '../api/names.js';
import { codes } from '../errors.js';
import { issuesToProblems } from '../manifests/issues.js';
import { describeValue, error } from '../manifests/problem.js';
import type { Problem } from '../manifests/problem.js';
import { didYouMean } from '../manifests/suggest.js';
import { normaliseRule } from './normalise.js';
import { policyApiVersion, policyKind, ruleTypes } from './policy.js';
import type { Policy, RuleType } from './policy.js';
import { policyDocument } from './schema.js';

/** What one document turned out to be. */
export interface PolicyDoc {
  problems: Problem[];
  /** metadata.name, when it is a valid name (also for an invalid policy). */
  name?: string;
  /** Set when the document is a valid policy; file and line are filled by the caller. */
  policy?: Omit<Policy, 'file' | 'line' | 'builtIn'>;
}

const sharedKeys = ['description', 'overridable', 'match'];
const ruleList = ruleTypes.join(', ');
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isRuleType = (k: string): k is RuleType => (ruleTypes as readonly string[]).includes(k);

function header(doc: Record<string, unknown>): Problem | undefined {
  const { kind, apiVersion } = doc;
  if (kind === undefined)
    return error(
      codes.missingField,
      ['kind'],
      `kind is required: a policy says kind: ${policyKind}`,
    );
  if (kind !== policyKind)
    return error(
      codes.unknownKind,
      ['kind'],
      `a policy file holds only kind ${policyKind}, got ${describeValue(kind)}.${didYouMean(typeof kind === 'string' ? kind : '', [policyKind])} Put databases and OpsRequests outside policies/`,
    );
  if (apiVersion === undefined)
    return error(codes.missingField, ['apiVersion'], `apiVersion is required: ${policyApiVersion}`);
  if (apiVersion !== policyApiVersion)
    return error(
      codes.unknownApiVersion,
      ['apiVersion'],
      `a ${policyKind} must use apiVersion ${policyApiVersion}, got ${describeValue(apiVersion)}`,
    );
  return undefined;
}

// Unknown keys of spec are rule types nobody knows (with a suggestion); the rule keys present
// must be exactly one. `known` is spec without the unknown keys, for the schema.
function ruleKeys(spec: unknown): { type?: RuleType; problems: Problem[]; known: unknown } {
  if (!isRecord(spec)) return { problems: [], known: spec }; // the schema says what is wrong
  const problems: Problem[] = [];
  const present: RuleType[] = [];
  const known: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(spec)) {
    if (isRuleType(key)) present.push(key);
    if (isRuleType(key) || sharedKeys.includes(key)) {
      known[key] = v;
      continue;
    }
    const message = `unknown rule type "${key}".${didYouMean(key, [...ruleTypes, ...sharedKeys])} Rule types: ${ruleList}`;
    problems.push({ ...error(codes.unknownField, ['spec', key], message), atKey: true });
  }
  if (present.length === 1) return { type: present[0], problems, known };
  if (present.length === 0 && problems.length === 0)
    problems.push(
      error(
        codes.missingField,
        ['spec'],
        `a policy needs exactly one rule in spec: one of ${ruleList}`,
      ),
    );
  for (const extra of present.slice(1))
    problems.push({
      ...error(
        codes.invalidField,
        ['spec', extra],
        `one rule per policy, and this one already has ${present[0]}: move ${extra} into a document of its own (separate documents with ---)`,
      ),
      atKey: true,
    });
  return { problems, known };
}

/** Reads one document; never throws. */
export function readPolicyDocument(value: unknown): PolicyDoc {
  if (!isRecord(value))
    return {
      problems: [
        error(
          codes.invalidField,
          [],
          `a policy must be a mapping with apiVersion, kind, metadata and spec, got ${describeValue(value)}`,
        ),
      ],
    };
  const meta = value.metadata;
  const rawName = isRecord(meta) ? meta.name : undefined;
  const base = typeof rawName === 'string' && isDnsLabel(rawName) ? { name: rawName } : {};
  const head = header(value);
  if (head) return { ...base, problems: [head] };
  const keys = ruleKeys(value.spec);
  const checked = value.spec === undefined ? value : { ...value, spec: keys.known };
  const parsed = policyDocument.safeParse(checked);
  const problems = parsed.success
    ? keys.problems
    : [...keys.problems, ...issuesToProblems(parsed.error.issues, checked, policyDocument)];
  if (!parsed.success || keys.type === undefined) return { ...base, problems };
  const { metadata, spec } = parsed.data;
  const r = normaliseRule(keys.type, spec);
  const all = [...problems, ...r.problems];
  if (!r.rule || all.some((p) => p.severity === 'error')) return { ...base, problems: all };
  const policy: NonNullable<PolicyDoc['policy']> = {
    name: metadata.name,
    overridable: spec.overridable ?? false,
    match: { ...spec.match },
    rule: r.rule,
  };
  if (spec.description !== undefined) policy.description = spec.description;
  return { ...base, problems: all, policy };
}
