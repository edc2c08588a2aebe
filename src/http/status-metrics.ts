import { Cond } from '../api/conditions.js';
import type { DatabasePhase, OpsPhase, StatusDocument } from '../api/status.js';

/** One sample: label values by label name, and the value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** A metric family read off the status document at scrape time. */
export interface StatusFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  labelNames: string[];
  /** The samples for one status document. Pure. */
  samples(doc: StatusDocument): Sample[];
}

// Every phase is emitted (0 or 1) so that a phase change is a value change, not a series
// appearing or vanishing, which is what `max_over_time(...== 1)` style alerts need.
const databasePhases: DatabasePhase[] = ['Provisioning', 'Ready', 'NotReady', 'Halted', 'Failed'];
const opsPhases: OpsPhase[] = ['Pending', 'Progressing', 'Successful', 'Failed', 'Skipped'];

const bool = (b: boolean): number => (b ? 1 : 0);

type Member = StatusDocument['databases'][number]['members'][number];

const members = (doc: StatusDocument) =>
  doc.databases.flatMap((d) => d.members.map((m) => ({ db: d.name, m })));

function memberFamily(
  name: string,
  help: string,
  type: StatusFamily['type'],
  value: (m: Member) => number,
): StatusFamily {
  return {
    name,
    help,
    type,
    labelNames: ['database', 'member'],
    samples: (doc) =>
      members(doc).map(({ db, m }) => ({
        labels: { database: db, member: m.name },
        value: value(m),
      })),
  };
}

const databaseFamilies: StatusFamily[] = [
  {
    name: 'dbops_database_ready',
    help: 'Whether the database is in phase Ready (1) or not (0).',
    type: 'gauge',
    labelNames: ['database', 'kind', 'mode'],
    samples: (doc) =>
      doc.databases.map((d) => ({
        labels: { database: d.name, kind: d.kind, mode: d.mode },
        value: bool(d.phase === 'Ready'),
      })),
  },
  {
    name: 'dbops_database_phase',
    help: 'The phase of the database: 1 for the current phase, 0 for the others.',
    type: 'gauge',
    labelNames: ['database', 'phase'],
    samples: (doc) =>
      doc.databases.flatMap((d) =>
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
    labelNames: ['database', 'member', 'role'],
    samples: (doc) =>
      members(doc).map(({ db, m }) => ({
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
    labelNames: [],
    samples: (doc) => [{ labels: {}, value: doc.errors.length }],
  },
  {
    name: 'dbops_source_up',
    help: 'Whether the last fetch from the Git source succeeded (1) or not (0).',
    type: 'gauge',
    labelNames: [],
    samples: (doc) => [{ labels: {}, value: bool(!doc.sourceError) }],
  },
  {
    name: 'dbops_opsrequests',
    help: 'OpsRequests known to the controller, by phase.',
    type: 'gauge',
    labelNames: ['phase'],
    samples: (doc) =>
      opsPhases.map((phase) => ({
        labels: { phase },
        value: doc.opsRequests.filter((o) => o.phase === phase).length,
      })),
  },
];

const sampled = (doc: StatusDocument) =>
  doc.autoscalers.flatMap((a) =>
    (a.usage?.members ?? []).map((m) => ({
      labels: { database: a.database, member: m.member },
      m,
    })),
  );

type Scaler = StatusDocument['autoscalers'][number];

function scalerFamily(
  name: string,
  help: string,
  type: StatusFamily['type'],
  value: (a: Scaler) => number,
): StatusFamily {
  return {
    name,
    help,
    type,
    labelNames: ['database', 'autoscaler'],
    samples: (doc) =>
      doc.autoscalers.map((a) => ({
        labels: { database: a.database, autoscaler: a.name },
        value: value(a),
      })),
  };
}

// The storage autoscaler: the sampled volumes, the database-reported sizes, decisions and
// commit tries.
const autoscalerFamilies: StatusFamily[] = [
  {
    name: 'dbops_autoscaler_volume_used_bytes',
    help: "Used bytes of the member volume at the autoscaler's latest sample.",
    type: 'gauge',
    labelNames: ['database', 'member'],
    samples: (doc) => sampled(doc).map(({ labels, m }) => ({ labels, value: m.usedBytes })),
  },
  {
    name: 'dbops_autoscaler_volume_capacity_bytes',
    help: "Bytes the member volume's filesystem can hold at the latest sample.",
    type: 'gauge',
    labelNames: ['database', 'member'],
    samples: (doc) => sampled(doc).map(({ labels, m }) => ({ labels, value: m.capacityBytes })),
  },
  {
    name: 'dbops_autoscaler_volume_used_ratio',
    help: 'Used share (0-1) of the member volume at the latest sample; the trigger compares it with usageThreshold.',
    type: 'gauge',
    labelNames: ['database', 'member'],
    samples: (doc) =>
      sampled(doc).map(({ labels, m }) => ({
        labels,
        value: m.capacityBytes > 0 ? m.usedBytes / m.capacityBytes : 0,
      })),
  },
  {
    name: 'dbops_autoscaler_database_bytes',
    help: 'Bytes the server reports its data takes (Postgres: databases plus WAL; Redis: AOF files) at the latest read; what the server says, not the trigger.',
    type: 'gauge',
    labelNames: ['database', 'member'],
    samples: (doc) =>
      sampled(doc).flatMap(({ labels, m }) =>
        m.dataBytes === undefined ? [] : [{ labels, value: m.dataBytes }],
      ),
  },
  {
    name: 'dbops_autoscaler_decisions_total',
    help: 'Autoscaler decisions by result: Expand, or the reason for none (BelowThreshold, AtUpperBound, ...).',
    type: 'counter',
    labelNames: ['database', 'result'],
    samples: (doc) =>
      doc.autoscalers.flatMap((a) =>
        Object.entries(a.decisions).map(([result, n]) => ({
          labels: { database: a.database, result },
          value: n,
        })),
      ),
  },
  scalerFamily(
    'dbops_autoscaler_commit_attempts_total',
    'Commits of autoscaler decisions tried (each push is one).',
    'counter',
    (a) => a.commitAttempts,
  ),
  scalerFamily(
    'dbops_autoscaler_commit_conflicts_total',
    'Autoscaler pushes rejected because the branch moved (each re-decided on the new head).',
    'counter',
    (a) => a.commitConflicts,
  ),
  scalerFamily(
    'dbops_autoscaler_at_upper_bound',
    'Whether usage is above the threshold with the volume at upperBound (1): a human must act.',
    'gauge',
    (a) =>
      bool(a.conditions.some((c) => c.type === Cond.AutoscalerAtUpperBound && c.status === 'True')),
  ),
];

/** Every family derived from the status document, in exposition order. */
export const statusFamilies: readonly StatusFamily[] = [...databaseFamilies, ...autoscalerFamilies];
