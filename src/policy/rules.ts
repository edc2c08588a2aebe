/**
 * The typed rules, each a pure check of one subject: what is wrong and what to do instead.
 * Change windows live in windows.ts, CEL in cel-rule.ts.
 */
import type { DatabaseSpec } from '../api/desired.js';
import { formatBytes } from '../api/quantity.js';
import type { PlannedOperation } from '../plan/planned-operation.js';
import { either, scopeText } from './match.js';
import type { Bounds, Policy, Rule } from './policy.js';

/** One thing a rule denies; `operation` is the index of the operation it is about. */
export interface Finding {
  message: string;
  operation?: number;
}

/** What the typed rules look at. */
export interface RuleSubject {
  database: DatabaseSpec;
  before: DatabaseSpec | null;
  operations: readonly PlannedOperation[];
}

type Typed = Exclude<Rule, { type: 'changeWindow' } | { type: 'cel' }>;

/** Describes an operation for a message: `Restart restart-orders (ops/x.yaml)`. */
export function operationText(op: PlannedOperation): string {
  return `${op.type} ${op.name ?? 'from the spec change'} (${op.file})`;
}

function outOfBounds(
  what: string,
  value: number,
  b: Bounds,
  scope: string,
  show: (n: number) => string = String,
): string[] {
  if (b.min !== undefined && value < b.min)
    return [
      `${what} ${show(value)} is below the minimum of ${show(b.min)}${scope}; use at least ${show(b.min)}`,
    ];
  if (b.max !== undefined && value > b.max)
    return [
      `${what} ${show(value)} is above the maximum of ${show(b.max)}${scope}; use at most ${show(b.max)}`,
    ];
  return [];
}

/** Shrink requests: VolumeExpansion OpsRequests asking for less than the size before them. */
function noShrink(s: RuleSubject): Finding[] {
  const out: Finding[] = [];
  s.operations.forEach((op, i) => {
    const p = op.parameters;
    if (op.source !== 'OpsRequest' || p?.type !== 'VolumeExpansion' || p.toBytes >= p.fromBytes)
      return;
    out.push({
      operation: i,
      message: `${operationText(op)} asks for ${formatBytes(p.toBytes)}, less than the ${formatBytes(p.fromBytes)} before it; volumes never shrink: ask for ${formatBytes(p.fromBytes)} or more, or move the data to a new database`,
    });
  });
  // A spec whose size goes down is not a request: it is how `git revert` of an expansion
  // reads (DESIGN §2), and it is allowed: nothing shrinks, the database says its volume stays.
  return out;
}

function configValue(config: Record<string, string>, key: string): string | undefined {
  for (const [k, v] of Object.entries(config)) if (k.toLowerCase() === key) return v;
  return undefined;
}

function configValues(
  rule: Extract<Rule, { type: 'configValues' }>,
  db: DatabaseSpec,
  scope: string,
): string[] {
  const value = configValue(db.config, rule.key);
  if (value === undefined) return [];
  if (rule.allowed) {
    const ok = rule.allowed.some((a) => a.toLowerCase() === value.trim().toLowerCase());
    return ok
      ? []
      : [
          `${rule.key} ${JSON.stringify(value)} is not allowed${scope}; use ${either(rule.allowed)}`,
        ];
  }
  if (!/^[+-]?\d+$/.test(value.trim()))
    return [
      `${rule.key} ${JSON.stringify(value)} is not a whole number, and this policy bounds it${scope}; write it as a plain integer`,
    ];
  return outOfBounds(rule.key, Number(value.trim()), rule, scope);
}

/** The findings of a typed rule for one subject. Pure. */
export function checkTyped(p: Policy & { rule: Typed }, s: RuleSubject): Finding[] {
  const db = s.database;
  const scope = scopeText(p.match);
  const rule = p.rule;
  const found = (messages: string[]): Finding[] => messages.map((message) => ({ message }));
  switch (rule.type) {
    case 'storage':
      return found(
        outOfBounds(
          'storage',
          db.storageBytes,
          { min: rule.minBytes, max: rule.maxBytes },
          scope,
          formatBytes,
        ),
      );
    case 'noShrink':
      return noShrink(s);
    case 'forbiddenConfig':
      return found(
        Object.keys(db.config)
          .filter((k) => rule.keys.includes(k.toLowerCase()))
          .map(
            (k) =>
              `configuration key ${k} may not be set${scope}; remove it from the configuration`,
          ),
      );
    case 'configValues':
      return found(configValues(rule, db, scope));
    case 'replicas': {
      const what =
        db.kind === 'Redis'
          ? 'replicas (members per shard, the master included)'
          : 'replicas (primary and standbys)';
      return found(outOfBounds(what, db.replicas, rule, scope));
    }
    case 'shards':
      if (db.kind !== 'Redis' || db.mode !== 'Cluster') return [];
      return found(outOfBounds('shards', db.shards, rule, scope));
    case 'deletionPolicy':
      if (rule.allowed.includes(db.deletionPolicy)) return [];
      return found([
        `deletionPolicy ${db.deletionPolicy} is not allowed${scope}; use ${either(rule.allowed)}`,
      ]);
  }
}
