import type { OpsRequestStatus } from '../../api/status.js';
import { codes, stalled } from '../../errors.js';
import { systemClock } from '../../platform/clock.js';
import { toStatusDocument } from '../../reconcile/store.js';
import { readControllerState } from '../controller-state.js';
import { oneOf, parseCommand, runtimeOptions } from '../args.js';
import type { CommandContext } from '../context.js';
import { table } from '../status-table.js';
import { opsNewCommand, opsNewHelp } from './ops-new.js';

export const opsHelp = `Usage: dbops ops list [--database DB] [--output table|json] [--state-dir DIR]
       [--runtime kubernetes [--kubeconfig FILE] [--context NAME] [--namespace NS]]

Lists operations: OpsRequests from ops/ and those derived from spec changes, with their
phase (Pending, Progressing, Successful, Failed, Skipped), queue position and steps.

${opsNewHelp}`;

// A running operation's time so far is measured to `now`, the caller's clock.
function duration(o: OpsRequestStatus, now: number): string {
  if (!o.startedAt) return '';
  const end = o.finishedAt ? Date.parse(o.finishedAt) : now;
  return `${((end - Date.parse(o.startedAt)) / 1000).toFixed(1)}s`;
}

/**
 * Renders operations for a terminal, with the steps of those not yet successful; a running
 * operation's time is counted up to `now` (clock ms). Pure.
 */
export function renderOps(ops: OpsRequestStatus[], now: number): string {
  if (ops.length === 0) return 'no operations\n';
  const rows = [['OPERATION', 'DATABASE', 'TYPE', 'ORIGIN', 'PHASE', 'POS', 'TIME', 'MESSAGE']];
  for (const o of ops) {
    rows.push([
      o.name,
      o.database,
      o.type,
      o.origin,
      o.phase,
      o.position ? String(o.position) : '',
      duration(o, now),
      o.message ?? '',
    ]);
  }
  const out = table(rows);
  for (const o of ops.filter((x) => x.phase === 'Progressing' || x.phase === 'Failed')) {
    out.push('', `${o.name} steps:`);
    for (const s of o.steps)
      out.push(`  ${s.phase.padEnd(9)} ${s.name}${s.message ? `: ${s.message}` : ''}`);
  }
  return out.join('\n') + '\n';
}

/** `dbops ops list`, and `dbops ops new` (its own flags, so it is dispatched before parsing). */
export async function opsCommand(argv: string[], ctx: CommandContext): Promise<number> {
  if (argv[0] === 'new') return opsNewCommand(argv.slice(1), ctx);
  const { values, positionals } = parseCommand(
    'ops',
    argv,
    { database: { type: 'string' }, output: { type: 'string' }, ...runtimeOptions },
    1,
  );
  if (positionals[0] !== 'list') {
    throw stalled(codes.usage, `dbops ops: unknown subcommand '${positionals[0] ?? ''}'`, {
      hint: 'use: dbops ops list, or dbops ops new <database> --type ...',
    });
  }
  const output = oneOf('output', values.output, ['table', 'json'] as const, 'table');
  const state = await readControllerState(values, ctx);
  const ops = toStatusDocument(state)
    .opsRequests.filter((o) => !values.database || o.database === values.database)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  ctx.stdout.write(
    output === 'json'
      ? JSON.stringify(ops, null, 2) + '\n'
      : renderOps(ops, (ctx.clock ?? systemClock).now()),
  );
  return 0;
}
