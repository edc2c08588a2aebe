/**
 * A schema-valid rule -> a normalised rule: quantities in bytes, durations in milliseconds,
 * keys in lower case, schedules parsed, CEL compiled. Contradictions are problems here.
 */
import { parseDuration } from '../api/duration.js';
import { formatBytes, parseQuantity } from '../api/quantity.js';
import { codes } from '../errors.js';
import { error, warning } from '../manifests/problem.js';
import type { PathSegment, Problem } from '../manifests/problem.js';
import { compileCel } from './cel.js';
import type { Bounds, Rule, RuleType, Window } from './policy.js';
import type { RawPolicy } from './schema.js';
import { parseSchedule } from './schedule.js';

type Spec = RawPolicy['spec'];
type Result = { rule?: Rule; problems: Problem[] };

/** The longest a change window may stay open. */
export const maxWindowMs = 7 * 24 * 3600 * 1000;

const at = (type: RuleType, ...rest: PathSegment[]): PathSegment[] => ['spec', type, ...rest];

function checkBounds(type: RuleType, b: Bounds, show: (n: number) => string): Problem[] {
  if (b.min === undefined && b.max === undefined)
    return [error(codes.missingField, at(type), `${type} needs min, max or both`)];
  if (b.min !== undefined && b.max !== undefined && b.min > b.max)
    return [
      error(
        codes.invalidField,
        at(type, 'min'),
        `min ${show(b.min)} is above max ${show(b.max)}: no value could pass; swap them or fix one`,
      ),
    ];
  return [];
}

function bytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const r = parseQuantity(String(q));
  return r.ok ? r.bytes : undefined;
}

function storage(s: NonNullable<Spec['storage']>): Result {
  const b: Bounds = {};
  const min = bytes(s.min);
  const max = bytes(s.max);
  if (min !== undefined) b.min = min;
  if (max !== undefined) b.max = max;
  const problems = checkBounds('storage', b, formatBytes);
  return { problems, rule: { type: 'storage', minBytes: b.min, maxBytes: b.max } };
}

function configValues(c: NonNullable<Spec['configValues']>): Result {
  const key = c.key.toLowerCase();
  const ranged = c.min !== undefined || c.max !== undefined;
  if (c.allowed !== undefined) {
    if (ranged)
      return {
        problems: [
          error(
            codes.invalidField,
            at('configValues'),
            'give either allowed (a list of values) or min/max (integers), not both: write two policies for two rules',
          ),
        ],
      };
    if (c.allowed.length === 0)
      return {
        problems: [
          error(
            codes.invalidField,
            at('configValues', 'allowed'),
            `an empty allowed list refuses every value of ${c.key}: list the values you accept, or use forbiddenConfig to refuse the key`,
          ),
        ],
      };
    const allowed = c.allowed.map((v) => String(v));
    return { problems: [], rule: { type: 'configValues', key, allowed } };
  }
  if (!ranged)
    return {
      problems: [
        error(codes.missingField, at('configValues'), 'configValues needs allowed, or min/max'),
      ],
    };
  const b: Bounds = { ...(c.min === undefined ? {} : { min: c.min }) };
  if (c.max !== undefined) b.max = c.max;
  return {
    problems: checkBounds('configValues', b, String),
    rule: { type: 'configValues', key, ...b },
  };
}

function deletionPolicy(d: NonNullable<Spec['deletionPolicy']>): Result {
  const path = at('deletionPolicy');
  if (d.allowed !== undefined && d.forbidden !== undefined)
    return {
      problems: [
        error(
          codes.invalidField,
          path,
          'give allowed or forbidden, not both: one list says it all',
        ),
      ],
    };
  const list = d.allowed ?? d.forbidden;
  if (list === undefined)
    return {
      problems: [error(codes.missingField, path, 'deletionPolicy needs allowed or forbidden')],
    };
  if (list.length === 0) {
    const which = d.allowed ? 'allowed' : 'forbidden';
    const why = d.allowed ? 'refuses every deletionPolicy' : 'forbids nothing';
    return {
      problems: [
        error(
          codes.invalidField,
          [...path, which],
          `an empty ${which} list ${why}: list at least one of Delete, Halt, WipeOut, DoNotTerminate`,
        ),
      ],
    };
  }
  const all = ['Delete', 'Halt', 'WipeOut', 'DoNotTerminate'] as const;
  const allowed = d.allowed ?? all.filter((p) => !list.includes(p));
  const forbidden = all.filter((p) => !allowed.includes(p));
  return { problems: [], rule: { type: 'deletionPolicy', allowed, forbidden } };
}

function changeWindow(c: NonNullable<Spec['changeWindow']>): Result {
  const problems: Problem[] = [];
  const windows: Window[] = [];
  c.windows.forEach((w, i) => {
    const s = parseSchedule(w.schedule);
    if (!s.ok)
      problems.push(
        error(codes.invalidField, at('changeWindow', 'windows', i, 'schedule'), s.message),
      );
    const d = parseDuration(w.duration);
    const durationPath = at('changeWindow', 'windows', i, 'duration');
    if (d.ok && d.ms <= 0)
      problems.push(
        error(
          codes.invalidField,
          durationPath,
          'must be longer than 0: the window would never be open',
        ),
      );
    else if (d.ok && d.ms > maxWindowMs)
      problems.push(
        error(
          codes.invalidField,
          durationPath,
          `"${w.duration}" is longer than 7 days (168h): a window that long is no window; drop the policy instead`,
        ),
      );
    if (s.ok && d.ok)
      windows.push({
        schedule: s.schedule,
        text: w.schedule.trim(),
        durationMs: d.ms,
        durationText: w.duration,
      });
  });
  if (problems.length > 0) return { problems };
  return {
    problems,
    rule: { type: 'changeWindow', windows, operations: c.operations ?? 'restarting' },
  };
}

function cel(c: NonNullable<Spec['cel']>): Result {
  const on = c.on ?? 'database';
  const r = compileCel(c.expression, on);
  if (!r.ok)
    return { problems: [error(codes.invalidExpression, at('cel', 'expression'), r.message)] };
  const rule: Rule = { type: 'cel', source: c.expression, on, program: r.program };
  if (c.message !== undefined) rule.message = c.message;
  return { problems: [], rule };
}

/** Normalises the one rule of `spec` (the caller checked there is exactly one). Pure. */
export function normaliseRule(type: RuleType, spec: Spec): Result {
  switch (type) {
    case 'storage':
      return spec.storage ? storage(spec.storage) : { problems: [] };
    case 'noShrink':
      return { problems: [], rule: { type: 'noShrink' } };
    case 'forbiddenConfig': {
      const keys = [...new Set((spec.forbiddenConfig?.keys ?? []).map((k) => k.toLowerCase()))];
      return { problems: [], rule: { type: 'forbiddenConfig', keys } };
    }
    case 'configValues':
      return spec.configValues ? configValues(spec.configValues) : { problems: [] };
    case 'replicas':
    case 'shards': {
      const b = spec[type] ?? {};
      const shardsOnPostgres =
        type === 'shards' && spec.match?.kinds !== undefined && !spec.match.kinds.includes('Redis')
          ? [
              warning(
                codes.invalidField,
                ['spec', 'match', 'kinds'],
                'a shards rule applies to Redis Cluster only: this policy matches no Redis database and never denies anything',
              ),
            ]
          : [];
      return {
        problems: [...checkBounds(type, b, String), ...shardsOnPostgres],
        rule: { type, ...b },
      };
    }
    case 'deletionPolicy':
      return spec.deletionPolicy ? deletionPolicy(spec.deletionPolicy) : { problems: [] };
    case 'changeWindow':
      return spec.changeWindow ? changeWindow(spec.changeWindow) : { problems: [] };
    case 'cel':
      return spec.cel ? cel(spec.cel) : { problems: [] };
  }
}
