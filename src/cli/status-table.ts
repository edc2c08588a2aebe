import { Cond, Reason } from '../api/conditions.js';
import type { DatabaseStatus, StatusDocument } from '../api/status.js';

/** Formats a byte count for people: 1536Mi, 2.5Gi, 912Ki. */
export function humanBytes(bytes: number): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const text = v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
  return `${text}${units[i]}${i === 0 ? 'B' : ''}`;
}

/** Aligns rows into columns (the last column is not padded). */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function why(db: DatabaseStatus): string {
  const notable = db.conditions.filter(
    (c) =>
      (c.type === Cond.Ready && c.status !== 'True') ||
      (c.type === Cond.ManifestValid && c.status === 'False') ||
      (c.type === Cond.Stalled && c.status === 'True') ||
      (c.type === Cond.VersionSubstituted && c.status === 'True') ||
      (c.type === Cond.Reconciling && (c.reason === Reason.Retrying || c.reason === Reason.Kept)),
  );
  return notable
    .map((c) => c.message)
    .filter(Boolean)
    .join('; ');
}

/**
 * Renders the status for a terminal: a header, one row per database, one indented row per
 * member. With `database`, only that database. Pure.
 */
export function renderStatus(doc: StatusDocument, opts: { database?: string } = {}): string {
  const out: string[] = [];
  const rev = doc.revision ? doc.revision.slice(0, 12) : '(not fetched yet)';
  out.push(`revision ${rev}  source ${doc.source}  runtime ${doc.runtime}`);
  if (doc.sourceError) out.push(`source error: ${doc.sourceError}`);
  const dbs = doc.databases.filter((d) => !opts.database || d.name === opts.database);
  if (dbs.length === 0) {
    out.push(opts.database ? `no database named ${opts.database}` : 'no databases yet');
  }
  const rows: string[][] = [['DATABASE', 'KIND', 'MODE', 'PHASE', 'VERSION', 'MEMBERS', 'MESSAGE']];
  for (const db of dbs) {
    const ready = db.members.filter((m) => m.ready).length;
    const version = db.version.running
      ? `${db.version.desired} (${db.version.running})`
      : db.version.desired || '-';
    rows.push([
      db.name,
      db.kind,
      db.mode,
      db.phase,
      version,
      `${ready}/${db.members.length}`,
      why(db),
    ]);
    for (const m of db.members) {
      rows.push([
        `  ${m.name}`,
        m.role,
        m.endpoint,
        m.ready ? 'ready' : 'down',
        `${humanBytes(m.volume.usedBytes)}/${humanBytes(m.volume.capacityBytes)}`,
        m.restarts > 0 ? `restarts ${m.restarts}` : '',
        '',
      ]);
    }
  }
  if (dbs.length > 0) out.push(...table(rows));
  const one = opts.database ? dbs[0] : undefined;
  if (one && Object.keys(one.effective).length > 0) {
    out.push('', 'Effective spec (value, and the file and commit that set it):');
    const eff = Object.entries(one.effective).sort(([a], [b]) => a.localeCompare(b));
    out.push(
      ...table(
        eff.map(([field, e]) => [
          `  ${field}`,
          JSON.stringify(e.value) ?? '',
          `${e.file}${e.line ? `:${e.line}` : ''}`,
          e.commit ? e.commit.slice(0, 12) : '',
        ]),
      ),
    );
  }
  if (doc.errors.length > 0) {
    out.push('', `${doc.errors.length} manifest error(s):`);
    for (const e of doc.errors.slice(0, 10)) {
      out.push(`  ${e.file}:${e.line}:${e.column} ${e.field}: ${e.message} (${e.code})`);
    }
    if (doc.errors.length > 10)
      out.push(`  ... ${doc.errors.length - 10} more: dbops status --output json`);
  }
  const ops = doc.opsRequests.filter((o) => !opts.database || o.database === opts.database);
  if (ops.length > 0) {
    out.push(
      '',
      ...table([
        ['OPERATION', 'DATABASE', 'TYPE', 'PHASE', 'MESSAGE'],
        ...ops.map((o) => [o.name, o.database, o.type, o.phase, o.message ?? '']),
      ]),
    );
  }
  const scalers = doc.autoscalers.filter((a) => !opts.database || a.database === opts.database);
  if (scalers.length > 0) out.push('', ...renderAutoscalers(scalers));
  return out.join('\n') + '\n';
}

/** The autoscaler lines of `dbops status`: usage, last decision, and warnings. Pure. */
export function renderAutoscalers(scalers: StatusDocument['autoscalers']): string[] {
  const rows = [['AUTOSCALER', 'DATABASE', 'TRIGGER', 'USAGE', 'LAST DECISION', 'COMMIT']];
  for (const a of scalers) {
    const top = [...(a.usage?.members ?? [])].sort(
      (x, y) => y.usedBytes / (y.capacityBytes || 1) - x.usedBytes / (x.capacityBytes || 1),
    )[0];
    const usage = top
      ? `${Math.ceil((top.usedBytes * 100) / (top.capacityBytes || 1))}% of ${top.member} (> ${a.usageThresholdPercent}% expands)`
      : '-';
    const d = a.lastDecision;
    rows.push([
      a.name,
      a.database,
      a.enabled ? 'On' : 'Off',
      usage,
      d ? `${d.result} ${humanBytes(d.fromBytes)} -> ${humanBytes(d.toBytes)} at ${d.at}` : '-',
      d?.commit ? `${d.commit.slice(0, 12)}${d.branch ? ` on ${d.branch}` : ''}` : '',
    ]);
  }
  const out = table(rows);
  for (const a of scalers) {
    for (const c of a.conditions.filter((x) => x.status === 'True')) {
      out.push(`  ${a.name}: ${c.type}: ${c.message}`);
    }
    const d = a.lastDecision;
    if (d && (d.result === 'Failed' || d.result === 'Superseded')) {
      out.push(`  ${a.name}: ${d.result}: ${d.message}`);
    }
  }
  return out;
}
