import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isDnsLabel } from '../api/names.js';
import { codes, stalled } from '../errors.js';

/** Options every command takes. */
export const globalOptions = {
  'state-dir': { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/**
 * Parses argv for one command strictly: unknown flags and missing values are usage errors
 * that name the flag and point at `dbops <command> --help`.
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
  maxPositionals: number,
) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.positionals.length > maxPositionals) {
      throw new Error(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
    }
    return parsed;
  } catch (err) {
    throw stalled(codes.usage, `dbops ${command}: ${(err as Error).message}`, {
      hint: `run 'dbops ${command} --help' for the accepted options`,
    });
  }
}

/** Where a controller runs its databases: the flags `run` and the read-only commands share. */
export const runtimeOptions = {
  runtime: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string' },
  reach: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** The runtime a command is aimed at, from `runtimeOptions`. */
export type RuntimeTarget =
  | { runtime: 'local' }
  | {
      runtime: 'kubernetes';
      kube: {
        kubeconfig?: string;
        context?: string;
        namespace?: string;
        reach?: 'pod' | 'port-forward';
      };
    };

/**
 * Reads --runtime (local | kubernetes) and its Kubernetes flags; a Kubernetes flag without
 * `--runtime kubernetes`, or a namespace that is not a DNS label, is a usage error.
 */
export function runtimeTargetOf(values: {
  runtime?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  reach?: string;
}): RuntimeTarget {
  const runtime = oneOf('runtime', values.runtime, ['local', 'kubernetes'] as const, 'local');
  const kube = {
    ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.context !== undefined ? { context: values.context } : {}),
    ...(values.namespace !== undefined ? { namespace: values.namespace } : {}),
    ...(values.reach !== undefined
      ? { reach: oneOf('reach', values.reach, ['pod', 'port-forward'] as const, 'pod') }
      : {}),
  };
  if (runtime === 'local') {
    const given = Object.keys(kube)[0];
    if (given) {
      throw stalled(codes.usage, `--${given} applies to the Kubernetes runtime only`, {
        hint: 'add --runtime kubernetes, or drop the flag',
      });
    }
    return { runtime };
  }
  if (kube.namespace !== undefined && !isDnsLabel(kube.namespace)) {
    badValue('namespace', kube.namespace, 'a Kubernetes namespace name (lower-case DNS label)');
  }
  return { runtime, kube };
}

/** Throws a usage error for a flag value. */
export function badValue(flag: string, value: string, expected: string): never {
  throw stalled(codes.usage, `--${flag} '${value}' is not valid: expected ${expected}`);
}

/** Reads one of a fixed set of values for a flag. */
export function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  return badValue(flag, value, allowed.join(' | '));
}

/** The state dir: --state-dir, else DBOPS_STATE_DIR, else `.dbops` in the working directory. */
export function stateDirOf(value: string | undefined, env: NodeJS.ProcessEnv): string {
  const dir = value ?? env.DBOPS_STATE_DIR ?? '.dbops';
  if (dir.trim() === '' || dir.includes('\0'))
    return badValue('state-dir', dir, 'a directory path');
  return dir;
}

/** A Git branch name as `git check-ref-format --branch` would accept it (the common rules). */
export function branchOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bad =
    value === '' ||
    value.startsWith('-') ||
    value.startsWith('/') ||
    value.endsWith('/') ||
    value.endsWith('.lock') ||
    value.includes('..') ||
    value.includes('@{') ||
    /[\s~^:?*[\\]/.test(value) ||
    [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  return bad ? badValue('branch', value, 'a Git branch name such as main or release/1.2') : value;
}

/** A sub-path inside the repository: relative, no `..`. */
export function subPathOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parts = value.split('/').filter((p) => p !== '' && p !== '.');
  if (value.startsWith('/') || parts.includes('..') || value.includes('\0')) {
    return badValue('path', value, 'a relative path inside the repository, without ..');
  }
  return parts.join('/');
}
