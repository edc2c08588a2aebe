/**
 * The policies a plan is judged by: dbops' built-in set plus the head revision's own
 * `policies/` folder. An invalid policy file is bad input: the plan is not made.
 */
import type { SourceFile } from '../api/manifest-file.js';
import { codes, stalled } from '../errors.js';
import type { Judge } from '../plan/change-plan.js';
import { builtInPolicyFiles } from '../policy/built-in.js';
import { evaluatePolicies } from '../policy/evaluate.js';
import { revisionPolicies, type LoadedPolicies } from '../policy/load.js';
import { printProblems } from './commands/validate.js';

/** Loads the policies for `files` (a revision's manifests); throws a usage error when invalid. */
export async function readPolicies(
  files: readonly SourceFile[],
  stderr: NodeJS.WritableStream,
): Promise<LoadedPolicies['policies']> {
  const loaded = revisionPolicies(await builtInPolicyFiles(), files);
  printProblems(stderr, loaded);
  if (loaded.errors.length > 0) {
    throw stalled(codes.usage, `${loaded.errors.length} error(s) in the policy files`, {
      hint: 'fix the policy files named above (dbops validate checks them too)',
    });
  }
  return loaded.policies;
}

/** The policies as the planner's judge, at time `now`. */
export function policyJudge(policies: LoadedPolicies['policies'], now: number): Judge {
  return (subject) => evaluatePolicies(policies, subject, now);
}
