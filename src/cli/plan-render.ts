/**
 * The operational plan as a reader sees it: plain text for a terminal, Markdown for a
 * pull-request comment, JSON for tools. Pure: a ChangePlan in, a string out.
 */
import type { ChangePlan, DatabasePlan, PlanVerdict } from '../plan/change-plan.js';
import { planAllowed } from '../plan/change-plan.js';
import { describeOperation } from '../plan/operations.js';
import type { Estimate } from '../plan/estimate.js';
import type { PlannedOperation } from '../plan/planned-operation.js';

const short = (rev: string) => (/^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev);

const changeWords: Record<DatabasePlan['change'], string> = {
  create: 'created',
  update: 'changed',
  halt: 'halted, data kept',
  resume: 'started again',
  wipe: 'DELETED WITH ITS DATA',
  keep: 'kept as it is',
  invalid: 'not changed: invalid manifests',
  unchanged: 'unchanged',
};

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** A verdict's message already names the policy and where it is written. */
function verdictLine(v: PlanVerdict, ops: PlannedOperation[]): string {
  if (v.effect === 'deny') return `DENIED: ${v.message}`;
  const about = v.operation === undefined ? '' : `${ops[v.operation]?.type ?? 'operation'} `;
  const opens = v.opensAt === undefined ? '' : `; the next window opens ${utc(v.opensAt)}`;
  return `${about}waits for a change window: ${v.message}${opens}`;
}

const seconds = (ms: number) =>
  ms < 1000
    ? 'under 1 s'
    : ms < 90_000
      ? `${Math.round(ms / 1000)} s`
      : `${Math.round(ms / 60_000)} min`;

function operationLine(op: PlannedOperation, estimate?: Estimate | null): string {
  const origin = op.source === 'OpsRequest' ? `OpsRequest ${op.name ?? ''}` : 'spec change';
  const about = estimate ? `; about ${seconds(estimate.ms)} (${estimate.basis})` : '';
  const irreversible =
    op.outcome === 'run' && !op.reversible ? ' [irreversible: volumes never shrink]' : '';
  return `${describeOperation(op)} (${origin}, ${op.file}${about})${irreversible}`;
}

function headline(p: ChangePlan): string {
  const n = p.databases.length;
  const verdicts = p.databases.flatMap((d) => d.verdicts);
  const denied = verdicts.filter((v) => v.effect === 'deny').length;
  const waits = verdicts.filter((v) => v.effect === 'wait').length;
  const invalid = p.databases.filter((d) => d.errors.length > 0).length + (p.errors.length ? 1 : 0);
  const parts = [
    n === 0 ? 'no database changes' : `${n} database${n > 1 ? 's' : ''} affected`,
    `${p.unchanged} unchanged`,
  ];
  if (denied) parts.push(`${denied} denied by policy`);
  if (waits) parts.push(`${waits} waiting for a change window`);
  if (invalid) parts.push(`${invalid} with invalid manifests`);
  return parts.join(', ');
}

/** The plan for a terminal. */
export function renderPlanText(p: ChangePlan): string {
  const lines = [
    `dbops plan ${short(p.base)} -> ${short(p.head)}${p.live ? ' (against the live state)' : ''}: ${headline(p)}`,
  ];
  for (const d of p.databases) {
    lines.push(
      '',
      `${d.name}${d.kind ? ` (${d.kind})` : ''}: ${changeWords[d.change]}${d.summary ? `: ${d.summary}` : ''}`,
    );
    d.operations.forEach((op, i) => lines.push(`  ${i + 1}. ${operationLine(op, d.estimates[i])}`));
    for (const n of d.notes) lines.push(`  note: ${n}`);
    for (const e of d.errors)
      lines.push(`  error: ${e.file}:${e.line}:${e.column} ${e.field}: ${e.message}`);
    for (const v of d.verdicts) lines.push(`  ${verdictLine(v, d.operations)}`);
  }
  for (const e of p.errors)
    lines.push('', `error: ${e.file}:${e.line}:${e.column} ${e.field}: ${e.message}`);
  lines.push(
    '',
    planAllowed(p) ? 'result: allowed' : 'result: NOT ALLOWED (see the errors and denials above)',
  );
  return lines.join('\n') + '\n';
}

// Escapes what could format or inject (tables, emphasis, code, HTML, links); `>` and `_`
// only act at the start of a line or around words, which manifest text never reaches here.
const md = (s: string) => s.replace(/([|*`<[\]\\])/g, '\\$1');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** The plan as a pull-request comment. */
export function renderPlanMarkdown(p: ChangePlan): string {
  const allowed = planAllowed(p);
  const out = [
    `### dbops plan: ${allowed ? 'allowed' : 'NOT ALLOWED'}`,
    '',
    `${code(short(p.base))} → ${code(short(p.head))}${p.live ? ' (against the live state)' : ''}: ${headline(p)}.`,
  ];
  if (p.databases.length > 0) {
    out.push(
      '',
      '| Database | What happens | Operations | Members restarted | Policies |',
      '|---|---|---|---|---|',
    );
    for (const d of p.databases) {
      const restarts = d.operations.reduce((n, o) => n + o.restarts.length, 0);
      const failovers = d.operations.reduce((n, o) => n + o.failovers, 0);
      const denied = d.verdicts.filter((v) => v.effect === 'deny').length;
      const waits = d.verdicts.filter((v) => v.effect === 'wait').length;
      const what = d.change === 'wipe' ? `**${changeWords[d.change]}**` : changeWords[d.change];
      out.push(
        `| ${code(d.name)} | ${what} | ${d.operations.length} | ${restarts}${failovers ? ` (${failovers} failover${failovers > 1 ? 's' : ''})` : ''} | ${denied ? `**${denied} denied**` : waits ? `${waits} waiting` : d.errors.length ? '**invalid**' : 'pass'} |`,
      );
    }
  }
  for (const d of p.databases) {
    out.push('', `#### ${code(d.name)}${d.kind ? ` (${d.kind})` : ''}: ${changeWords[d.change]}`);
    if (d.change === 'wipe') {
      out.push('', `> [!CAUTION]`, `> ${md(d.summary)}. This cannot be undone.`);
    } else if (d.summary) out.push('', md(d.summary));
    if (d.operations.length > 0) {
      out.push('');
      d.operations.forEach((op, i) =>
        out.push(`${i + 1}. ${md(operationLine(op, d.estimates[i]))}`),
      );
    }
    for (const n of d.notes) out.push('', `> [!NOTE]`, `> ${md(n)}`);
    for (const e of d.errors)
      out.push('', `- **error** ${code(`${e.file}:${e.line}`)} ${code(e.field)}: ${md(e.message)}`);
    for (const v of d.verdicts) {
      out.push(
        '',
        v.effect === 'deny' ? `> [!WARNING]` : `> [!NOTE]`,
        `> ${md(verdictLine(v, d.operations))}`,
      );
    }
  }
  for (const e of p.errors)
    out.push('', `- **error** ${code(`${e.file}:${e.line}`)}: ${md(e.message)}`);
  out.push(
    '',
    `<sub>Planned by dbops from the manifests alone${p.live ? ' and the live state' : ''}: the controller runs these operations in this order.</sub>`,
  );
  return out.join('\n') + '\n';
}

/** The plan for tools: the ChangePlan itself, with the overall verdict. */
export function renderPlanJson(p: ChangePlan): string {
  return JSON.stringify({ allowed: planAllowed(p), ...p }, null, 2) + '\n';
}
