import { resolve } from 'node:path';
import type { ManifestError } from '../../api/manifest-error.js';
import { loadDesiredState } from '../../manifests/load.js';
import { builtInPolicyFiles } from '../../policy/built-in.js';
import { revisionPolicies } from '../../policy/load.js';
import { systemClock } from '../../platform/clock.js';
import { createDirectorySource } from '../../source/local-source.js';
import { oneOf, parseCommand, subPathOf } from '../args.js';
import type { CommandContext } from '../context.js';

export const validateHelp = `Usage: dbops validate [DIR] [--path SUBDIR] [--output text|json]

Validates every *.yaml/*.yml manifest under DIR (default: the current directory) as the
controller would, and the policy files of its policies/ folder, without touching any
database. Exit code 0 when valid, 1 when not. (dbops plan applies the policies to a change.)
`;

/** Prints warnings, then errors, each with file:line:column and field (and the error's hint). */
export function printProblems(
  out: NodeJS.WritableStream,
  problems: { errors: readonly ManifestError[]; warnings: readonly ManifestError[] },
): void {
  for (const w of problems.warnings) {
    out.write(`warning: ${w.file}:${w.line}:${w.column} ${w.field}: ${w.message}\n`);
  }
  for (const e of problems.errors) {
    out.write(`error: ${e.file}:${e.line}:${e.column} ${e.field}: ${e.message} (${e.code})\n`);
    if (e.hint) out.write(`  ${e.hint}\n`);
  }
}

/** `dbops validate`: reads a directory, prints every error with file:line:column and field. */
export async function validateCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(
    'validate',
    argv,
    { output: { type: 'string' }, path: { type: 'string' } },
    1,
  );
  const output = oneOf('output', values.output, ['text', 'json'] as const, 'text');
  const dir = resolve(ctx.cwd, positionals[0] ?? '.');
  const source = createDirectorySource({ dir, path: subPathOf(values.path), clock: systemClock });
  const snap = await source.fetch();
  const loaded = loadDesiredState({ files: snap.files, revision: snap.revision });
  const policies = revisionPolicies(await builtInPolicyFiles(), snap.files);
  const desired = {
    ...loaded,
    errors: [...loaded.errors, ...policies.errors],
    warnings: [...loaded.warnings, ...policies.warnings],
  };
  if (output === 'json') {
    ctx.stdout.write(
      JSON.stringify(
        {
          valid: desired.errors.length === 0,
          databases: [...desired.databases.keys()],
          opsRequests: desired.opsRequests.map((o) => o.name),
          autoscalers: desired.autoscalers.map((a) => a.name),
          policies: policies.policies.filter((p) => !p.builtIn).map((p) => p.name),
          errors: desired.errors,
          warnings: desired.warnings,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    printProblems(ctx.stderr, desired);
    const summary = `${snap.files.length} file(s): ${desired.databases.size} database(s), ${desired.opsRequests.length} OpsRequest(s), ${desired.autoscalers.length} autoscaler(s)`;
    if (desired.errors.length === 0) ctx.stdout.write(`valid: ${summary}\n`);
    else ctx.stderr.write(`invalid: ${desired.errors.length} error(s) in ${summary}\n`);
  }
  return desired.errors.length === 0 ? 0 : 1;
}
