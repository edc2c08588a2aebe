import { resolve } from 'node:path';
import type { DatabaseSpec } from '../../api/desired.js';
import { DbopsError, codes, formatError, stalled } from '../../errors.js';
import { loadDesiredState } from '../../manifests/load.js';
import { systemClock } from '../../platform/clock.js';
import { planAllowed, planChange, type LiveState } from '../../plan/change-plan.js';
import type { PastOperation } from '../../plan/estimate.js';
import type { RollingMember } from '../../plan/rolling.js';
import { readRevision } from '../../source/revisions.js';
import { oneOf, parseCommand, runtimeOptions, subPathOf } from '../args.js';
import type { CommandContext } from '../context.js';
import type { StatusDocument } from '../../api/status.js';
import { toStatusDocument } from '../../reconcile/store.js';
import { readControllerState } from '../controller-state.js';
import { renderPlanJson, renderPlanMarkdown, renderPlanText } from '../plan-render.js';
import { policyJudge, readPolicies } from '../plan-policies.js';
import { printProblems } from './validate.js';

export const planHelp = `Usage: dbops plan --base REV --head REV [--repo DIR] [--path P]
                  [--format text|markdown|json]
                  [--live [--state-dir DIR | --server URL | --runtime kubernetes ...]]

Prints the operational plan of the change from REV --base to REV --head of a local Git
repository: per database, what the change causes (provisioning, operations and how they
run: which members restart, which fail over, what cannot be undone, halts and deletions),
and the verdicts of the policies (dbops' built-in set plus the repository's policies/).
Nothing is changed anywhere.

  --base, --head   any revision: a commit id (full or abbreviated), a branch, a tag,
                   origin/main, HEAD, each with ~N or ^ for an ancestor
  --repo DIR       the repository (default: the current directory)
  --path P         the folder of the desired state inside the repository (default: the root)
  --format         text (default), markdown (a pull-request comment) or json
  --live           plan against what a running controller applied (its state dir, its
                   status API with --server URL, or with --runtime kubernetes its state
                   ConfigMap) instead of taking the base as applied: actual sizes,
                   OpsRequests already run, members' actual roles, duration estimates

Exit code: 0 the change is allowed, 1 a policy denies it or its manifests are invalid (the
plan is printed all the same), 2 bad input (a revision that does not exist, an invalid
policy file, bad flags; nothing on stdout).
`;

/** `dbops plan`: the operational plan of a change between two revisions. */
export async function planCommand(argv: string[], ctx: CommandContext): Promise<number> {
  let planned: { text: string; allowed: boolean };
  try {
    planned = await makePlan(argv, ctx);
  } catch (err) {
    if (!(err instanceof DbopsError)) throw err;
    ctx.stderr.write(`dbops plan: ${formatError(err)}\n`);
    return 2;
  }
  ctx.stdout.write(planned.text);
  return planned.allowed ? 0 : 1;
}

async function makePlan(argv: string[], ctx: CommandContext) {
  const { values } = parseCommand(
    'plan',
    argv,
    {
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      path: { type: 'string' },
      format: { type: 'string' },
      live: { type: 'boolean' },
      server: { type: 'string' },
      ...runtimeOptions,
    },
    0,
  );
  const format = oneOf('format', values.format, ['text', 'markdown', 'json'] as const, 'text');
  const base = required('base', values.base);
  const head = required('head', values.head);
  if (values.server && !values.live) {
    throw stalled(codes.usage, '--server needs --live', {
      hint: 'dbops plan --live --server URL plans against that controller',
    });
  }
  const dir = resolve(ctx.cwd, values.repo ?? '.');
  const path = subPathOf(values.path);
  // The head is read knowing the base's blobs: a change touches few files of many.
  const cache = {};
  const b = await readRevision({
    dir,
    rev: base,
    ...(path ? { path } : {}),
    missingPathIsEmpty: true,
    cache,
  });
  const known = new Map(b.files.flatMap((f) => (f.oid ? [[f.oid, f] as const] : [])));
  const h = await readRevision({ dir, rev: head, ...(path ? { path } : {}), known, cache });
  const policies = await readPolicies(h.files, ctx.stderr);
  const baseState = loadDesiredState({ files: b.files, revision: b.commit });
  const live = values.live ? await liveState(values, ctx) : undefined;
  const executedOps = new Map<string, string>();
  if (!live) for (const o of baseState.opsRequests) executedOps.set(o.name, o.digest);
  const headState = loadDesiredState({ files: h.files, revision: h.commit, executedOps });
  if (format === 'text') printProblems(ctx.stderr, { errors: [], warnings: headState.warnings });
  const p = planChange({
    base: baseState,
    head: headState,
    ...(live ? { live } : {}),
    judge: policyJudge(policies, (ctx.clock ?? systemClock).now()),
  });
  const text =
    format === 'json'
      ? renderPlanJson(p)
      : format === 'markdown'
        ? renderPlanMarkdown(p)
        : renderPlanText(p);
  return { text, allowed: planAllowed(p) };
}

function required(flag: string, value: string | undefined): string {
  if (value) return value;
  throw stalled(codes.usage, `--${flag} is required`, {
    hint: `run 'dbops plan --help': for a pull request, --base is the target branch's commit and --head the pull request's`,
  });
}

/**
 * What a running controller applied, as the planner's live state: its status document, read
 * from its HTTP API (`--server`) or where it keeps its records (state dir, or the state
 * ConfigMap with --runtime kubernetes).
 */
async function liveState(
  flags: Parameters<typeof readControllerState>[0] & { server?: string | undefined },
  ctx: CommandContext,
): Promise<LiveState> {
  const status = flags.server
    ? await statusFromServer(flags.server)
    : toStatusDocument(await readControllerState(flags, ctx));
  return liveFromStatus(status);
}

/** The planner's live state from a controller's status document. Pure. */
export function liveFromStatus(status: StatusDocument): LiveState {
  const applied = new Map<string, DatabaseSpec>();
  const haltedForRemoval = new Set<string>();
  const members = new Map<string, RollingMember[]>();
  for (const d of status.databases) {
    if (d.applied) applied.set(d.name, d.applied);
    if (d.haltedForRemoval) haltedForRemoval.add(d.name);
    if (d.members.length > 0) {
      members.set(
        d.name,
        d.members.map((m) => ({
          name: m.name,
          shard: Number(/-shard(\d+)-\d+$/.exec(m.name)?.[1] ?? 0),
          role: m.role,
        })),
      );
    }
  }
  const byName = new Map(status.databases.map((d) => [d.name, d]));
  const past: PastOperation[] = status.opsRequests.flatMap((o) => {
    const d = byName.get(o.database);
    const ms = Date.parse(o.finishedAt ?? '') - Date.parse(o.startedAt ?? '');
    if (o.phase !== 'Successful' || !d || !Number.isFinite(ms)) return [];
    return [{ database: o.database, kind: d.kind, type: o.type, members: d.members.length, ms }];
  });
  const terminal = new Set(['Successful', 'Failed', 'Skipped']);
  return {
    applied,
    executed: new Set(
      status.opsRequests
        .filter((o) => o.origin === 'OpsRequest' && terminal.has(o.phase))
        .map((o) => o.name),
    ),
    present: new Set(status.databases.map((d) => d.name)),
    haltedForRemoval,
    members,
    past,
  };
}

/** GET <server>/api/v1/status, with a deadline; a clear error when it does not answer. */
async function statusFromServer(server: string): Promise<StatusDocument> {
  const url = `${server.replace(/\/+$/, '')}/api/v1/status`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw stalled(codes.usage, `--server: ${url} did not answer (${(err as Error).message})`, {
      hint: 'pass the address of dbops run --http (for example http://localhost:8080)',
    });
  }
  const body = (await res.json().catch(() => undefined)) as StatusDocument | undefined;
  if (!res.ok || body?.apiVersion !== 'dbops.dev/v1' || !Array.isArray(body.databases)) {
    throw stalled(codes.usage, `--server: ${url} answered ${res.status}, not a dbops status`, {
      hint: 'pass the address of dbops run --http (for example http://localhost:8080)',
    });
  }
  return body;
}
