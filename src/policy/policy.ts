/**
 * The vocabulary of policies: one loaded rule, ready to evaluate. Policies only deny (or make
 * an operation wait for a change window); a database no policy speaks about is allowed.
 */
import type { DatabaseKind, DeletionPolicy } from '../api/desired.js';
import type { CelProgram } from './cel.js';
import type { Schedule } from './schedule.js';

/** The API version and kind of a policy document. */
export const policyApiVersion = 'policy.dbops.dev/v1alpha1';
export const policyKind = 'DatabasePolicy';

/** Prefix of the file names of the built-in set, so that a message says where a rule comes from. */
export const builtInPrefix = 'dbops:';

/** The rule keys of `spec`, exactly one of which a document gives. */
export const ruleTypes = [
  'storage',
  'noShrink',
  'forbiddenConfig',
  'configValues',
  'replicas',
  'shards',
  'deletionPolicy',
  'changeWindow',
  'cel',
] as const;

/** One of the rule types above. */
export type RuleType = (typeof ruleTypes)[number];

/** Which databases a policy is about; every selector given must hold. */
export interface Match {
  kinds?: DatabaseKind[];
  labels?: Record<string, string>;
  databases?: string[];
}

/** An integer range; at least one bound is set. */
export interface Bounds {
  min?: number;
  max?: number;
}

/** A change window: opens at each time of `schedule` (UTC) and stays open `durationMs`. */
export interface Window {
  schedule: Schedule;
  /** The schedule as written, for messages. */
  text: string;
  durationMs: number;
  /** The duration as written, for messages. */
  durationText: string;
}

/** The rule of a policy, normalised: sizes in bytes, keys in lower case, programs compiled. */
export type Rule =
  | { type: 'storage'; minBytes?: number; maxBytes?: number }
  | { type: 'noShrink' }
  | { type: 'forbiddenConfig'; keys: string[] }
  | ({ type: 'configValues'; key: string; allowed?: string[] } & Bounds)
  | ({ type: 'replicas' } & Bounds)
  | ({ type: 'shards' } & Bounds)
  | { type: 'deletionPolicy'; allowed: DeletionPolicy[]; forbidden: DeletionPolicy[] }
  | { type: 'changeWindow'; windows: Window[]; operations: 'restarting' | 'all' }
  | {
      type: 'cel';
      source: string;
      on: 'database' | 'operation';
      message?: string;
      /** Compiled and type-checked at load time; evaluation never parses `source` again. */
      program: CelProgram;
    };

/** A loaded policy. */
export interface Policy {
  name: string;
  /** The file it comes from; built-in files start with `dbops:`. */
  file: string;
  /** Line where the policy's document starts. */
  line: number;
  description?: string;
  overridable: boolean;
  builtIn: boolean;
  /** For a repository policy that replaces an overridable built-in: where the built-in is. */
  replaces?: string;
  match: Match;
  rule: Rule;
}

/** `policy <name> (<file>:<line>)`: how every verdict of a policy starts. */
export function policyLabel(p: Pick<Policy, 'name' | 'file' | 'line'>): string {
  return `policy ${p.name} (${p.file}:${p.line})`;
}
