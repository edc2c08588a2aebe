import { Cond } from '../api/conditions.js';
import type { DatabasePhase, OpsPhase, StatusDocument } from '../api/status.js';

/** The Content-Type of the Prometheus text exposition format this module writes. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** One sample: label values by label name, and the value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One metric family: a name, its HELP text, its TYPE, and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

// Every phase is emitted (0 or 1) so that a phase change is a value change, not a series
// appearing or vanishing, which is what `max_over_time(...== 1)` style alerts need.
const databasePhases: DatabasePhase[] = ['Provisioning', 'Ready', 'NotReady', 'Halted', 'Failed'];
const opsPhases: OpsPhase[] = ['Pending', 'Progressing', 'Successful', 'Failed', 'Skipped'];

/** Escapes a label value: backslash, double quote and line feed, as the format requires. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed (quotes stay as they are there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Renders a sample value: integers as digits, and the spec's spellings of NaN and infinities. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/** Renders metric families in the text exposition format 0.0.4, one trailing newline. */
export function formatFamilies(families: MetricFamily[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const bool = (b: boolean): number => (b ? 1 : 0);

/** Derives the dbops metric families from a status document. Pure. */
export function metricsOf(doc: StatusDocument): MetricFamily[] {
  const members = doc.databases.flatMap((d) => d.members.map((m) => ({ db: d.name, m })));
  const memberFamily = (
    name: string,
    help: string,
    type: MetricFamily['type'],
    value: (m: (typeof members)[number]['m']) => number,
  ): MetricFamily => ({
    name,
    help,
    type,
    samples: members.map(({ db, m }) => ({
      labels: { database: db, member: m.name },
      value: value(m),
    })),
  });
  return [
    {
      name: 'dbops_database_ready',
      help: 'Whether the database is in phase Ready (1) or not (0).',
      type: 'gauge',
      samples: doc.databases.map((d) => ({
        labels: { database: d.name, kind: d.kind, mode: d.mode },
        value: bool(d.phase === 'Ready'),
      })),
    },
    {
      name: 'dbops_database_phase',
      help: 'The phase of the database: 1 for the current phase, 0 for the others.',
      type: 'gauge',
      samples: doc.databases.flatMap((d) =>
        databasePhases.map((phase) => ({
          labels: { database: d.name, phase },
          value: bool(d.phase === phase),
        })),
      ),
    },
    {
      name: 'dbops_member_ready',
      help: 'Whether the member runs and accepts connections (1) or not (0).',
      type: 'gauge',
      samples: members.map(({ db, m }) => ({
        labels: { database: db, member: m.name, role: m.role },
        value: bool(m.ready),
      })),
    },
    memberFamily(
      'dbops_member_restarts_total',
      'Restarts of the member process seen by the supervisor.',
      'counter',
      (m) => m.restarts,
    ),
    memberFamily(
      'dbops_volume_capacity_bytes',
      'Capacity of the member volume in bytes.',
      'gauge',
      (m) => m.volume.capacityBytes,
    ),
    memberFamily(
      'dbops_volume_used_bytes',
      'Used bytes of the member volume.',
      'gauge',
      (m) => m.volume.usedBytes,
    ),
    {
      name: 'dbops_manifest_errors',
      help: 'Manifest errors at the newest fetched revision.',
      type: 'gauge',
      samples: [{ labels: {}, value: doc.errors.length }],
    },
    {
      name: 'dbops_source_up',
      help: 'Whether the last fetch from the Git source succeeded (1) or not (0).',
      type: 'gauge',
      samples: [{ labels: {}, value: bool(!doc.sourceError) }],
    },
    {
      name: 'dbops_opsrequests',
      help: 'OpsRequests known to the controller, by phase.',
      type: 'gauge',
      samples: opsPhases.map((phase) => ({
        labels: { phase },
        value: doc.opsRequests.filter((o) => o.phase === phase).length,
      })),
    },
    ...autoscalerFamilies(doc),
  ];
}

/**
 * Storage autoscaler families: the sampled volumes, the database-reported sizes, decisions and
 * commit tries. Pure.
 */
function autoscalerFamilies(doc: StatusDocument): MetricFamily[] {
  const scalers = doc.autoscalers;
  if (scalers.length === 0) return [];
  const sampled = scalers.flatMap((a) =>
    (a.usage?.members ?? []).map((m) => ({
      labels: { database: a.database, member: m.member },
      m,
    })),
  );
  const perScaler = (value: (a: (typeof scalers)[number]) => number) =>
    scalers.map((a) => ({ labels: { database: a.database, autoscaler: a.name }, value: value(a) }));
  return [
    {
      name: 'dbops_autoscaler_volume_used_bytes',
      help: "Used bytes of the member volume at the autoscaler's latest sample.",
      type: 'gauge',
      samples: sampled.map(({ labels, m }) => ({ labels, value: m.usedBytes })),
    },
    {
      name: 'dbops_autoscaler_volume_capacity_bytes',
      help: "Bytes the member volume's filesystem can hold at the latest sample.",
      type: 'gauge',
      samples: sampled.map(({ labels, m }) => ({ labels, value: m.capacityBytes })),
    },
    {
      name: 'dbops_autoscaler_volume_used_ratio',
      help: 'Used share (0-1) of the member volume at the latest sample; the trigger compares it with usageThreshold.',
      type: 'gauge',
      samples: sampled.map(({ labels, m }) => ({
        labels,
        value: m.capacityBytes > 0 ? m.usedBytes / m.capacityBytes : 0,
      })),
    },
    {
      name: 'dbops_autoscaler_database_bytes',
      help: 'Bytes the server reports its data takes (Postgres: databases plus WAL; Redis: AOF files) at the latest read; what the server says, not the trigger.',
      type: 'gauge',
      samples: sampled.flatMap(({ labels, m }) =>
        m.dataBytes === undefined ? [] : [{ labels, value: m.dataBytes }],
      ),
    },
    {
      name: 'dbops_autoscaler_decisions_total',
      help: 'Autoscaler decisions by result: Expand, or the reason for none (BelowThreshold, AtUpperBound, ...).',
      type: 'counter',
      samples: scalers.flatMap((a) =>
        Object.entries(a.decisions).map(([result, n]) => ({
          labels: { database: a.database, result },
          value: n,
        })),
      ),
    },
    {
      name: 'dbops_autoscaler_commit_attempts_total',
      help: 'Commits of autoscaler decisions tried (each push is one).',
      type: 'counter',
      samples: perScaler((a) => a.commitAttempts),
    },
    {
      name: 'dbops_autoscaler_commit_conflicts_total',
      help: 'Autoscaler pushes rejected because the branch moved (each re-decided on the new head).',
      type: 'counter',
      samples: perScaler((a) => a.commitConflicts),
    },
    {
      name: 'dbops_autoscaler_at_upper_bound',
      help: 'Whether usage is above the threshold with the volume at upperBound (1): a human must act.',
      type: 'gauge',
      samples: perScaler((a) =>
        bool(
          a.conditions.some((c) => c.type === Cond.AutoscalerAtUpperBound && c.status === 'True'),
        ),
      ),
    },
  ];
}

/** The /metrics body for a status document. */
export function renderMetrics(doc: StatusDocument): string {
  return formatFamilies(metricsOf(doc));
}
