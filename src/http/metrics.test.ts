import { describe, expect, it } from 'vitest';
import { cache, statusFixture } from '../../test/http/fixtures.js';
import {
  escapeHelp,
  escapeLabelValue,
  formatFamilies,
  formatValue,
  renderMetrics,
} from './metrics.js';

describe('escaping', () => {
  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb', 'a\\nb'],
    ['\\"\n', '\\\\\\"\\n'],
    ['ünïcode', 'ünïcode'],
  ])('label value %j -> %j', (raw, want) => {
    expect(escapeLabelValue(raw)).toBe(want);
  });

  it.each([
    ['say "hi"', 'say "hi"'],
    ['a\\b\nc', 'a\\\\b\\nc'],
  ])('help %j -> %j', (raw, want) => {
    expect(escapeHelp(raw)).toBe(want);
  });

  it.each([
    [0, '0'],
    [1073741824, '1073741824'],
    [0.5, '0.5'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('value %s -> %s', (v, want) => {
    expect(formatValue(v)).toBe(want);
  });
});

describe('formatFamilies', () => {
  it('writes HELP, TYPE, escaped labels, and one trailing newline', () => {
    const out = formatFamilies([
      {
        name: 'x_total',
        help: 'line\nbreak',
        type: 'counter',
        samples: [
          { labels: { a: 'q"uote', b: 'back\\slash\nnl' }, value: 3 },
          { labels: {}, value: 1 },
        ],
      },
    ]);
    expect(out).toBe(
      [
        '# HELP x_total line\\nbreak',
        '# TYPE x_total counter',
        'x_total{a="q\\"uote",b="back\\\\slash\\nnl"} 3',
        'x_total 1',
        '',
      ].join('\n'),
    );
  });

  it('writes nothing for no families', () => {
    expect(formatFamilies([])).toBe('');
  });
});

describe('renderMetrics', () => {
  it('renders the autoscaler families: sampled volumes, database sizes, decisions, commit tries, the bound', () => {
    const doc = statusFixture({
      autoscalers: [
        {
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
              {
                member: 'cache-0',
                usedBytes: 768,
                capacityBytes: 1024,
                sizeBytes: 2048,
                dataBytes: 600,
              },
              { member: 'cache-1', usedBytes: 512, capacityBytes: 1024, sizeBytes: 2048 },
            ],
          },
          lastDecision: null,
          decisions: { Expand: 1, AtUpperBound: 3 },
          commitAttempts: 2,
          commitConflicts: 1,
        },
      ],
    });
    const lines = renderMetrics(doc).split('\n');
    const scaler = lines.filter((l) => l.startsWith('dbops_autoscaler_'));
    expect(scaler).toEqual([
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
    expect(lines).toContain('# TYPE dbops_autoscaler_decisions_total counter');
    expect(lines).toContain('# TYPE dbops_autoscaler_database_bytes gauge');
    expect(lines).toContain(
      '# HELP dbops_autoscaler_database_bytes Bytes the server reports its data takes (Postgres: databases plus WAL; Redis: AOF files) at the latest read; what the server says, not the trigger.',
    );
  });

  it('renders exact lines for a small status', () => {
    expect(renderMetrics(statusFixture()).split('\n')).toEqual([
      '# HELP dbops_database_ready Whether the database is in phase Ready (1) or not (0).',
      '# TYPE dbops_database_ready gauge',
      'dbops_database_ready{database="cache",kind="Redis",mode="Standalone"} 1',
      '# HELP dbops_database_phase The phase of the database: 1 for the current phase, 0 for the others.',
      '# TYPE dbops_database_phase gauge',
      'dbops_database_phase{database="cache",phase="Provisioning"} 0',
      'dbops_database_phase{database="cache",phase="Ready"} 1',
      'dbops_database_phase{database="cache",phase="NotReady"} 0',
      'dbops_database_phase{database="cache",phase="Halted"} 0',
      'dbops_database_phase{database="cache",phase="Failed"} 0',
      '# HELP dbops_member_ready Whether the member runs and accepts connections (1) or not (0).',
      '# TYPE dbops_member_ready gauge',
      'dbops_member_ready{database="cache",member="cache-0",role="master"} 1',
      '# HELP dbops_member_restarts_total Restarts of the member process seen by the supervisor.',
      '# TYPE dbops_member_restarts_total counter',
      'dbops_member_restarts_total{database="cache",member="cache-0"} 2',
      '# HELP dbops_volume_capacity_bytes Capacity of the member volume in bytes.',
      '# TYPE dbops_volume_capacity_bytes gauge',
      'dbops_volume_capacity_bytes{database="cache",member="cache-0"} 1073741824',
      '# HELP dbops_volume_used_bytes Used bytes of the member volume.',
      '# TYPE dbops_volume_used_bytes gauge',
      'dbops_volume_used_bytes{database="cache",member="cache-0"} 1048576',
      '# HELP dbops_manifest_errors Manifest errors at the newest fetched revision.',
      '# TYPE dbops_manifest_errors gauge',
      'dbops_manifest_errors 0',
      '# HELP dbops_source_up Whether the last fetch from the Git source succeeded (1) or not (0).',
      '# TYPE dbops_source_up gauge',
      'dbops_source_up 1',
      '# HELP dbops_opsrequests OpsRequests known to the controller, by phase.',
      '# TYPE dbops_opsrequests gauge',
      'dbops_opsrequests{phase="Pending"} 1',
      'dbops_opsrequests{phase="Progressing"} 0',
      'dbops_opsrequests{phase="Successful"} 0',
      'dbops_opsrequests{phase="Failed"} 0',
      'dbops_opsrequests{phase="Skipped"} 0',
      '',
    ]);
  });

  const lineOf = (text: string, prefix: string) =>
    text.split('\n').filter((l) => l.startsWith(prefix));

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
        errors: [
          {
            code: 'DBOPS_E_YAML_SYNTAX',
            file: 'a.yaml',
            line: 1,
            column: 1,
            field: '',
            message: 'x',
          },
          {
            code: 'DBOPS_E_YAML_SYNTAX',
            file: 'b.yaml',
            line: 1,
            column: 1,
            field: '',
            message: 'y',
          },
        ],
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
      what: 'no databases: families stay, without samples',
      status: statusFixture({ databases: [] }),
      prefix: 'dbops_database_ready',
      want: [],
    },
  ])('$what', ({ status, prefix, want }) => {
    expect(lineOf(renderMetrics(status), prefix)).toEqual(want);
  });

  it('keeps HELP and TYPE for families without samples', () => {
    const out = renderMetrics(statusFixture({ databases: [], opsRequests: [] }));
    expect(out).toContain('# TYPE dbops_volume_used_bytes gauge\n# HELP dbops_manifest_errors');
  });
});
