/**
 * `dbops ops new`: the human twin of the storage autoscaler. Writes one OpsRequest file into a
 * work tree of the desired-state repository, rendered by the same renderer and validated by
 * the same loader as everything else; committing it is left to the person.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ManifestError } from '../../api/manifest-error.js';
import { parseDuration } from '../../api/duration.js';
import { formatBytes, parseQuantity } from '../../api/quantity.js';
import { dnsLabel } from '../../api/schemas/common.js';
import { codes, stalled } from '../../errors.js';
import { loadDesiredState } from '../../manifests/load.js';
import type { DesiredState } from '../../manifests/load.js';
import { renderOpsRequest } from '../../manifests/render-ops.js';
import type { OpsIntent, RenderedOps } from '../../manifests/render-ops.js';
import { systemClock } from '../../platform/clock.js';
import { pathExists, writeFileAtomic } from '../../platform/files.js';
import { createDirectorySource } from '../../source/local-source.js';
import { badValue, oneOf, parseCommand, subPathOf } from '../args.js';
import type { CommandContext } from '../context.js';
import { printProblems } from './validate.js';

export const opsNewHelp = `Usage: dbops ops new DATABASE --type VolumeExpansion --size SIZE [--mode Online|Offline]
       dbops ops new DATABASE --type Reconfigure --set KEY=VALUE [--set KEY=VALUE ...]
       dbops ops new DATABASE --type Restart
         [--repo DIR] [--path SUBDIR] [--timeout 10m] [--apply IfReady|Always] [--dry-run]

Writes ops/<yyyymmdd-hhmmss>-<database>-<type>.yaml (UTC) into the work tree DIR of the
desired-state repository (default: the current directory; --path: where the manifests are
inside it), exactly as the storage autoscaler would. The file is validated together with the
manifests on disk first; nothing is written when it has an error or a warning, or when it
exists already. It does not commit: it prints the git command to do so. --dry-run prints the
file and its path and writes nothing.
`;

const opsNewOptions = {
  type: { type: 'string' },
  size: { type: 'string' },
  mode: { type: 'string' },
  set: { type: 'string', multiple: true },
  repo: { type: 'string' },
  path: { type: 'string' },
  timeout: { type: 'string' },
  apply: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

/** What `dbops ops new` was asked: the intent without its kind and time, and where to write. */
export interface OpsNewRequest {
  intent: Omit<OpsIntent, 'databaseKind' | 'at'>;
  repoDir: string;
  subPath: string | undefined;
  dryRun: boolean;
}

function usage(message: string, hint?: string): never {
  throw stalled(codes.usage, message, {
    hint: hint ?? "run 'dbops ops --help' for the options of ops new",
  });
}

/** Reads the flags of `dbops ops new`; a bad or misplaced flag is a usage error naming it. Pure. */
export function opsNewRequestOf(argv: string[], cwd: string): OpsNewRequest {
  const { values: v, positionals } = parseCommand('ops new', argv, opsNewOptions, 1);
  const database = positionals[0];
  if (database === undefined) usage('the database is missing: dbops ops new <database> --type ...');
  if (!dnsLabel.safeParse(database).success)
    usage(`'${database}' is not a database name (lower-case letters, digits and -)`);
  if (v.type === undefined) usage('--type is required: VolumeExpansion, Reconfigure or Restart');
  const types = ['VolumeExpansion', 'Reconfigure', 'Restart'] as const;
  const type = oneOf('type', v.type, types, 'Restart');
  const onlyFor = (flag: 'size' | 'mode' | 'set', wanted: OpsIntent['type']) => {
    if (v[flag] !== undefined && type !== wanted)
      usage(`--${flag} is only for --type ${wanted}, not ${type}`);
  };
  onlyFor('size', 'VolumeExpansion');
  onlyFor('mode', 'VolumeExpansion');
  onlyFor('set', 'Reconfigure');
  const intent: OpsNewRequest['intent'] = { database, type };
  if (type === 'VolumeExpansion') {
    if (v.size === undefined) usage('--size is required for a VolumeExpansion, for example 2Gi');
    const q = parseQuantity(v.size);
    if (!q.ok) badValue('size', v.size, q.message);
    if (q.bytes === 0) badValue('size', v.size, 'a size above 0, for example 2Gi');
    const mode = oneOf('mode', v.mode, ['Online', 'Offline'] as const, 'Online');
    intent.volumeExpansion = { mode, bytes: q.bytes };
  }
  if (type === 'Reconfigure') {
    if (!v.set?.length)
      usage('--set KEY=VALUE is required for a Reconfigure, for example --set maxmemory=512mb');
    intent.configuration = { applyConfig: settingsOf(v.set) };
  }
  if (v.timeout !== undefined) {
    const d = parseDuration(v.timeout);
    if (!d.ok) badValue('timeout', v.timeout, d.message);
    if (d.ms === 0) badValue('timeout', v.timeout, 'a duration above 0, for example 10m');
    intent.timeoutMs = d.ms;
  }
  if (v.apply !== undefined)
    intent.apply = oneOf('apply', v.apply, ['IfReady', 'Always'] as const, 'IfReady');
  return {
    intent,
    repoDir: resolve(cwd, v.repo ?? '.'),
    subPath: subPathOf(v.path),
    dryRun: v['dry-run'] ?? false,
  };
}

// A Map, so that a key such as __proto__ stays an ordinary key for the loader to reject.
function settingsOf(items: string[]): Record<string, string> {
  const settings = new Map<string, string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? '' : item.slice(0, eq).trim();
    if (key === '') badValue('set', item, 'KEY=VALUE, for example maxmemory=512mb');
    if (settings.has(key)) badValue('set', item, `each key once: ${key} is already set`);
    settings.set(key, item.slice(eq + 1));
  }
  return Object.fromEntries(settings);
}

/** `dbops ops new`: read the manifests, render, validate with them, write (never overwrite). */
export async function opsNewCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const req = opsNewRequestOf(argv, ctx.cwd);
  const clock = ctx.clock ?? systemClock;
  const root = join(req.repoDir, req.subPath ?? '');
  const snap = await createDirectorySource({ dir: req.repoDir, path: req.subPath, clock }).fetch();
  const before = loadDesiredState({ files: snap.files, revision: snap.revision });
  const databaseKind = kindOf(before, req.intent.database, shownPath(ctx.cwd, root), ctx);
  const rendered = renderOpsRequest({ ...req.intent, databaseKind, at: clock.now() });
  const target = join(root, rendered.path);
  const shown = shownPath(ctx.cwd, target);
  if (snap.files.some((f) => f.path === rendered.path) || (await pathExists(target)))
    usage(
      `${shown} already exists: OpsRequest files are never overwritten`,
      'an OpsRequest of this type for this database was written in the same second: run the command again',
    );
  const added = {
    path: rendered.path,
    size: Buffer.byteLength(rendered.text),
    content: rendered.text,
  };
  const after = loadDesiredState({ files: [...snap.files, added], revision: snap.revision });
  refuseNewProblems(before, after, rendered.path, req.intent, ctx);
  if (req.dryRun) {
    ctx.stdout.write(`would write ${shown} (dry run: nothing written)\n\n${rendered.text}`);
    return 0;
  }
  await writeFileAtomic(target, rendered.text);
  ctx.stdout.write(`wrote ${shown}\nnext: ${gitCommand(req, rendered, ctx.cwd)}\n`);
  return 0;
}

/** The kind of the database from the manifests; a usage error when it is missing or invalid. */
function kindOf(desired: DesiredState, name: string, where: string, ctx: CommandContext) {
  const db = desired.databases.get(name);
  if (db) return db.spec.kind;
  const errors = desired.invalid.get(name);
  if (errors) {
    printProblems(ctx.stderr, { errors, warnings: [] });
    usage(
      `the manifests of database ${name} have errors: fix them first`,
      "run 'dbops validate' on the repository to see every problem",
    );
  }
  const known = [...desired.databases.keys(), ...desired.invalid.keys()].sort();
  usage(
    `there is no database '${name}' in the manifests under ${where}`,
    known.length
      ? `databases there: ${known.join(', ')}; or pass --repo/--path of the right repository`
      : 'pass --repo (and --path) of the desired-state repository, or add databases/<name>.yaml first',
  );
}

const problemKey = (e: ManifestError) =>
  JSON.stringify([e.code, e.file, e.line, e.column, e.field, e.message]);

const flagsOf: Record<OpsIntent['type'], string> = {
  VolumeExpansion: 'the --size',
  Reconfigure: 'the --set values',
  Restart: 'the flags',
};

/** Refuses when the new file brings an error, a warning or a fold note that was not there. */
function refuseNewProblems(
  before: DesiredState,
  after: DesiredState,
  path: string,
  { database, type }: OpsNewRequest['intent'],
  ctx: CommandContext,
): void {
  const fresh = (list: ManifestError[], old: ManifestError[]) => {
    const seen = new Set(old.map(problemKey));
    return list.filter((e) => e.file === path || !seen.has(problemKey(e)));
  };
  const errors = fresh(after.errors, before.errors);
  const warnings = fresh(after.warnings, before.warnings);
  // A fold note, such as an expansion below the current size, means the file would do nothing.
  const oldNotes = new Set(before.databases.get(database)?.notes ?? []);
  const notes = (after.databases.get(database)?.notes ?? []).filter((n) => !oldNotes.has(n));
  if (errors.length + warnings.length + notes.length === 0) return;
  printProblems(ctx.stderr, { errors, warnings });
  for (const n of notes) ctx.stderr.write(`note: ${n}\n`);
  usage(
    `the new OpsRequest ${path} would not be valid as given: nothing was written`,
    `fix what the lines above point at (${flagsOf[type]}) and run the command again`,
  );
}

function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

const shellWord = (s: string) => (/^[\w./@:%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function gitCommand(req: OpsNewRequest, rendered: RenderedOps, cwd: string): string {
  const { intent } = req;
  const file = [req.subPath, rendered.path].filter(Boolean).join('/');
  const summary =
    intent.type === 'VolumeExpansion' && intent.volumeExpansion
      ? `expand ${intent.database} to ${formatBytes(intent.volumeExpansion.bytes)} (${intent.volumeExpansion.mode})`
      : intent.type === 'Reconfigure'
        ? `reconfigure ${intent.database} (${Object.keys(intent.configuration?.applyConfig ?? {}).join(', ')})`
        : `restart ${intent.database}`;
  const git =
    req.repoDir === resolve(cwd) ? 'git' : `git -C ${shellWord(shownPath(cwd, req.repoDir))}`;
  return `${git} add ${shellWord(file)} && ${git} commit -m ${shellWord(`ops: ${summary}`)}`;
}
