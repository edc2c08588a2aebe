import { describe, expect, it } from 'vitest';
import { cache, statusFixture } from '../../test/http/fixtures.js';
import type { StatusDocument } from '../api/status.js';
import { createPromMetrics, renderMetrics } from './metrics.js';

/** The sample lines of the text whose metric name starts with `prefix`. */
const samples = (text: string, prefix: string) =>
  text.split('\n').filter((l) => l.startsWith(prefix));

const scaler: StatusDocument['autoscalers'][number] = {
  name: 'cache-storage',
  kind: 'RedisAutoscaler',
  database: 'cache',
  enabled: true,
  usageThresholdPercent: 80,
  mode: 'commit',
  conditions: [
    {
      type: 'AutoscalerAtUpperBound',
      status: 'True',
      reason: 'UpperBoundReached',
      message: 'at the upper bound 2Gi',
      lastTransitionTime: '2026-01-01T00:00:00.000Z',
    },
  ],
  usage: {
    sampledAt: '2026-01-01T00:00:00.000Z',
    dataSampledAt: '2026-01-01T00:00:00.000Z',
    members: [
      { member: 'cache-0', usedBytes: 768, capacityBytes: 1024, sizeBytes: 2048, dataBytes: 600 },
      { member: 'cache-1', usedBytes: 512, capacityBytes: 1024, sizeBytes: 2048 },
    ],
  },
  lastDecision: null,
  decisions: { Expand: 1, AtUpperBound: 3 },
  commitAttempts: 2,
  commitConflicts: 1,
};

describe('status families', () => {
  it('renders exact samples for a small status', async () => {
    const text = await renderMetrics(statusFixture());
    expect(samples(text, 'dbops_').filter((l) => !l.includes('_autoscaler_'))).toEqual([
      'dbops_database_ready{database="cache",kind="Redis",mode="Standalone"} 1',
      'dbops_database_phase{database="cache",phase="Provisioning"} 0',
      'dbops_database_phase{database="cache",phase="Ready"} 1',
      'dbops_database_phase{database="cache",phase="NotReady"} 0',
      'dbops_database_phase{database="cache",phase="Halted"} 0',
      'dbops_database_phase{database="cache",phase="Failed"} 0',
      'dbops_member_ready{database="cache",member="cache-0",role="master"} 1',
      'dbops_member_restarts_total{database="cache",member="cache-0"} 2',
      'dbops_volume_capacity_bytes{database="cache",member="cache-0"} 1073741824',
      'dbops_volume_used_bytes{database="cache",member="cache-0"} 1048576',
      'dbops_manifest_errors 0',
      'dbops_source_up 1',
      'dbops_opsrequests{phase="Pending"} 1',
      'dbops_opsrequests{phase="Progressing"} 0',
      'dbops_opsrequests{phase="Successful"} 0',
      'dbops_opsrequests{phase="Failed"} 0',
      'dbops_opsrequests{phase="Skipped"} 0',
    ]);
    expect(text).toContain(
      '# HELP dbops_database_ready Whether the database is in phase Ready (1) or not (0).\n# TYPE dbops_database_ready gauge\n',
    );
    expect(text).toContain('# TYPE dbops_member_restarts_total counter\n');
  });

  it('renders the autoscaler families: sampled volumes, database sizes, decisions, commit tries, the bound', async () => {
    const text = await renderMetrics(statusFixture({ autoscalers: [scaler] }));
    expect(samples(text, 'dbops_autoscaler_')).toEqual([
      'dbops_autoscaler_volume_used_bytes{database="cache",member="cache-0"} 768',
      'dbops_autoscaler_volume_used_bytes{database="cache",member="cache-1"} 512',
      'dbops_autoscaler_volume_capacity_bytes{database="cache",member="cache-0"} 1024',
      'dbops_autoscaler_volume_capacity_bytes{database="cache",member="cache-1"} 1024',
      'dbops_autoscaler_volume_used_ratio{database="cache",member="cache-0"} 0.75',
      'dbops_autoscaler_volume_used_ratio{database="cache",member="cache-1"} 0.5',
      // Only where the server reported a size: cache-1 has none.
      'dbops_autoscaler_database_bytes{database="cache",member="cache-0"} 600',
      'dbops_autoscaler_decisions_total{database="cache",result="Expand"} 1',
      'dbops_autoscaler_decisions_total{database="cache",result="AtUpperBound"} 3',
      'dbops_autoscaler_commit_attempts_total{database="cache",autoscaler="cache-storage"} 2',
      'dbops_autoscaler_commit_conflicts_total{database="cache",autoscaler="cache-storage"} 1',
      'dbops_autoscaler_at_upper_bound{database="cache",autoscaler="cache-storage"} 1',
    ]);
    expect(text).toContain('# TYPE dbops_autoscaler_decisions_total counter\n');
    expect(text).toContain(
      '# HELP dbops_autoscaler_database_bytes Bytes the server reports its data takes (Postgres: databases plus WAL; Redis: AOF files) at the latest read; what the server says, not the trigger.\n',
    );
  });

  it.each([
    {
      what: 'a source error turns dbops_source_up to 0',
      status: statusFixture({ sourceError: 'unreachable' }),
      prefix: 'dbops_source_up ',
      want: ['dbops_source_up 0'],
    },
    {
      what: 'manifest errors are counted',
      status: statusFixture({
        errors: ['a.yaml', 'b.yaml'].map((file) => ({
          code: 'DBOPS_E_YAML_SYNTAX',
          file,
          line: 1,
          column: 1,
          field: '',
          message: 'x',
        })),
      }),
      prefix: 'dbops_manifest_errors ',
      want: ['dbops_manifest_errors 2'],
    },
    {
      what: 'a database that is not Ready reports 0 and its phase',
      status: statusFixture({ databases: [{ ...cache, phase: 'Failed' }] }),
      prefix: 'dbops_database_ready{',
      want: ['dbops_database_ready{database="cache",kind="Redis",mode="Standalone"} 0'],
    },
    {
      what: 'label values from the status are escaped',
      status: statusFixture({
        databases: [
          {
            ...cache,
            members: [{ ...cache.members[0]!, name: 'we"ird\\', role: 'a\nb', ready: false }],
          },
        ],
      }),
      prefix: 'dbops_member_ready{',
      want: ['dbops_member_ready{database="cache",member="we\\"ird\\\\",role="a\\nb"} 0'],
    },
    {
      what: 'no databases: the family stays, without samples',
      status: statusFixture({ databases: [] }),
      prefix: 'dbops_database_ready',
      want: [],
    },
    {
      what: 'a volume of capacity 0 has a used ratio of 0, not NaN',
      status: statusFixture({
        autoscalers: [
          {
            ...scaler,
            usage: {
              sampledAt: '2026-01-01T00:00:00.000Z',
              members: [{ member: 'cache-0', usedBytes: 0, capacityBytes: 0, sizeBytes: 0 }],
            },
          },
        ],
      }),
      prefix: 'dbops_autoscaler_volume_used_ratio',
      want: ['dbops_autoscaler_volume_used_ratio{database="cache",member="cache-0"} 0'],
    },
  ])('$what', async ({ status, prefix, want }) => {
    expect(samples(await renderMetrics(status), prefix)).toEqual(want);
  });

  it('keeps HELP and TYPE for families without samples', async () => {
    const text = await renderMetrics(statusFixture({ databases: [], autoscalers: [] }));
    expect(text).toContain('# TYPE dbops_volume_used_bytes gauge\n\n# HELP dbops_manifest_errors');
    expect(text).toContain('# TYPE dbops_autoscaler_at_upper_bound gauge\n');
  });

  it('reads the status once per scrape and follows it between scrapes', async () => {
    let reads = 0;
    let doc = statusFixture();
    const m = createPromMetrics({ status: () => (reads++, doc), processMetrics: false });
    expect(samples(await m.render(), 'dbops_source_up ')).toEqual(['dbops_source_up 1']);
    expect(reads).toBe(1);
    doc = statusFixture({ sourceError: 'down' });
    expect(samples(await m.render(), 'dbops_source_up ')).toEqual(['dbops_source_up 0']);
    expect(reads).toBe(2);
  });

  it('has no status samples while there is no status yet', async () => {
    const text = await createPromMetrics({
      status: () => undefined,
      processMetrics: false,
    }).render();
    expect(text).toContain('# TYPE dbops_database_ready gauge\n');
    expect(samples(text, 'dbops_database_ready')).toEqual([]);
  });
});
