/**
 * CEL expressions of custom rules: compiled and type-checked once at load time, evaluated
 * against plain values. The only module that imports a CEL library.
 *
 * Why @marcbachmann/cel-js (8.0.0) and not @bufbuild/cel (0.6.1): cel-js has a public type
 * checker (`Environment.check` gives the result type of an expression against declared
 * variables), so a rule that does not return a bool, names an unknown field or adds an int
 * to a string is refused when the policy loads, not when a change arrives. @bufbuild/cel
 * has the better conformance story (it runs the CEL conformance suite), but 0.6 keeps its
 * checker out of the public exports, pulls in @bufbuild/protobuf, cel-spec and re2 (about
 * 11 MB) and declares no Node engine range; cel-js has no dependencies (284 kB), ships its
 * types, declares Node >= 20.19 (ours), and is released often. Conformance gaps in corner
 * cases of the standard library matter little for rules over a handful of fields.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';
import type { DatabaseSpec } from '../api/desired.js';
import type { PlannedOperation } from '../plan/planned-operation.js';

/** Where a rule runs: once per database, or once per planned operation. */
export type CelOn = 'database' | 'operation';

/** The variables of an evaluation, already converted (ints as bigint). */
export interface CelVars {
  database: CelDatabase;
  before: CelDatabase | null;
  operation?: CelOperation;
}

/** `database` and `before` as CEL sees them. */
export interface CelDatabase {
  name: string;
  kind: string;
  version: string;
  /** Redis: Standalone or Cluster; Postgres: the empty string. */
  mode: string;
  storageBytes: bigint;
  storageType: string;
  config: Record<string, string>;
  replicas: bigint;
  /** 1 for everything but a Redis Cluster. */
  shards: bigint;
  deletionPolicy: string;
  halted: boolean;
  labels: Record<string, string>;
}

/** `operation` as CEL sees it. */
export interface CelOperation {
  type: string;
  source: string;
  name: string | null;
  file: string;
  outcome: string;
  restarts: string[];
  failovers: bigint;
  reversible: boolean;
  parameters: Record<string, unknown>;
}

/** The outcome of one evaluation: the boolean, or why there is none. */
export type CelOutcome = { ok: true; value: boolean } | { ok: false; message: string };

/** A compiled expression; `run` never throws. */
export interface CelProgram {
  run(vars: CelVars): CelOutcome;
}

/** The outcome of compiling: a program, or the syntax or type error. */
export type CelCompileResult = { ok: true; program: CelProgram } | { ok: false; message: string };

const databaseFields = {
  name: 'string',
  kind: 'string',
  version: 'string',
  mode: 'string',
  storageBytes: 'int',
  storageType: 'string',
  config: 'map<string, string>',
  replicas: 'int',
  shards: 'int',
  deletionPolicy: 'string',
  halted: 'bool',
  labels: 'map<string, string>',
};
const operationFields = {
  type: 'string',
  source: 'string',
  name: 'dyn', // null for a spec change
  file: 'string',
  outcome: 'string',
  restarts: 'list<string>',
  failovers: 'int',
  reversible: 'bool',
  parameters: 'map<string, dyn>',
};

let envs: Record<CelOn, Environment> | undefined;

// Built once: an Environment is costly to make, and cloning freezes the parent.
function environments(): Record<CelOn, Environment> {
  if (envs) return envs;
  const database = new Environment({ enableOptionalTypes: true })
    .registerType('dbops.Database', { fields: databaseFields })
    .registerType('dbops.Operation', { fields: operationFields })
    .registerVariable('database', 'dbops.Database')
    // dyn, not dbops.Database: a declared message type cannot be compared with null.
    .registerVariable('before', 'dyn');
  const operation = database.clone().registerVariable('operation', 'dbops.Operation');
  envs = { database, operation };
  return envs;
}

function summary(err: unknown): string {
  if (
    typeof err === 'object' &&
    err !== null &&
    'summary' in err &&
    typeof err.summary === 'string'
  )
    return err.summary;
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/**
 * Compiles `source` for `on`. The result type is checked with the library's type checker: it
 * must be bool, or dyn (a value read from a map, which only the run can tell; `run` then
 * refuses anything but a bool). Pure.
 */
export function compileCel(source: string, on: CelOn): CelCompileResult {
  const env = environments()[on];
  const checked = env.check(source);
  if (!checked.valid) {
    const why = summary(checked.error);
    const hint =
      on === 'database' && /\boperation\b/.test(why)
        ? ': `operation` is only known with `on: operation`'
        : '';
    return { ok: false, message: `the expression does not compile: ${why}${hint}` };
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn')
    return {
      ok: false,
      message: `the expression returns ${checked.type ?? 'nothing'}, not a bool: write a condition that is true when the change is allowed, such as \`database.replicas >= 2\``,
    };
  let fn: ParseResult;
  try {
    fn = env.parse(source);
  } catch (err) {
    return { ok: false, message: `the expression does not compile: ${summary(err)}` };
  }
  return { ok: true, program: { run: (vars) => runProgram(fn, vars) } };
}

function runProgram(fn: (ctx: CelVars) => unknown, vars: CelVars): CelOutcome {
  try {
    const value = fn(vars);
    if (typeof value === 'boolean') return { ok: true, value };
    return { ok: false, message: `it returned ${describe(value)}, not true or false` };
  } catch (err) {
    return { ok: false, message: summary(err) };
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint' || typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return 'a value';
}

/** The CEL view of a database spec and its labels. Pure. */
export function celDatabase(spec: DatabaseSpec, labels: Record<string, string>): CelDatabase {
  return {
    name: spec.name,
    kind: spec.kind,
    version: spec.version,
    mode: spec.kind === 'Redis' ? spec.mode : '',
    storageBytes: BigInt(spec.storageBytes),
    storageType: spec.storageType,
    config: { ...spec.config },
    replicas: BigInt(spec.replicas),
    shards: BigInt(spec.kind === 'Redis' ? spec.shards : 1),
    deletionPolicy: spec.deletionPolicy,
    halted: spec.halted,
    labels: { ...labels },
  };
}

/** The CEL view of a planned operation; numbers in its parameters become ints. Pure. */
export function celOperation(op: PlannedOperation): CelOperation {
  return {
    type: op.type,
    source: op.source,
    name: op.name,
    file: op.file,
    outcome: op.outcome,
    restarts: [...op.restarts],
    failovers: BigInt(op.failovers),
    reversible: op.reversible,
    parameters: op.parameters === null ? {} : (toCel(op.parameters) as Record<string, unknown>),
  };
}

function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}
