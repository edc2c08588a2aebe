import { describe, expect, it } from 'vitest';
import { parseDuration } from '../api/duration.js';
import { codes } from '../errors.js';
import { postgresDoc, redisDoc, textFile, yamlFile } from './fixtures.js';
import { loadDesiredState } from './load.js';
import { opsFileStamp, renderOpsRequest } from './render-ops.js';
import type { OpsIntent } from './render-ops.js';

const at = Date.UTC(2026, 10, 21, 9, 5, 7);
const gi = 2 ** 30;

/** Renders the intent, loads it next to a matching database, and returns what the loader saw. */
function roundTrip(intent: OpsIntent) {
  const r = renderOpsRequest(intent);
  const db =
    intent.databaseKind === 'Redis' ? redisDoc(intent.database) : postgresDoc(intent.database);
  const desired = loadDesiredState({
    revision: 'r',
    files: [yamlFile(`databases/${intent.database}.yaml`, db), textFile(r.path, r.text)],
  });
  return { r, desired, op: desired.opsRequests[0] };
}

const base = { at, database: 'cache' } as const;
const intents: [string, OpsIntent][] = [];
for (const databaseKind of ['Redis', 'Postgres'] as const) {
  const k = { ...base, databaseKind };
  intents.push(
    [
      `${databaseKind} VolumeExpansion`,
      { ...k, type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 2 * gi } },
    ],
    [
      `${databaseKind} VolumeExpansion Offline with options`,
      {
        ...k,
        type: 'VolumeExpansion',
        volumeExpansion: { mode: 'Offline', bytes: 1536 * 2 ** 20 },
        timeoutMs: 5 * 60_000,
        apply: 'Always',
        annotations: { 'dbops.dev/autoscaler': 'cache-storage', 'a.dev/z': 'on' },
        comment: 'Written by the storage autoscaler\n\nusage 91% >= 80%',
      },
    ],
    [
      `${databaseKind} VolumeExpansion odd bytes`,
      { ...k, type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 2 * gi + 1 } },
    ],
    [`${databaseKind} Restart`, { ...k, type: 'Restart' }],
    [
      `${databaseKind} Restart with options`,
      { ...k, type: 'Restart', timeoutMs: 90_500, apply: 'IfReady', comment: 'rolling restart' },
    ],
  );
}
intents.push(
  [
    'Redis Reconfigure',
    {
      ...base,
      databaseKind: 'Redis',
      type: 'Reconfigure',
      configuration: { applyConfig: { maxmemory: '512mb', 'maxmemory-policy': 'allkeys-lru' } },
    },
  ],
  [
    'Redis Reconfigure values that need quoting',
    {
      ...base,
      databaseKind: 'Redis',
      type: 'Reconfigure',
      configuration: {
        applyConfig: {
          'notify-keyspace-events': '',
          save: '900 1 300 10',
          'client-output-buffer-limit': '"quoted"',
          'latency-tracking-info-percentiles': ' 50 99 ',
          hz: 'on',
        },
      },
      timeoutMs: 3_600_000,
      apply: 'Always',
    },
  ],
  [
    'Postgres Reconfigure',
    {
      ...base,
      databaseKind: 'Postgres',
      type: 'Reconfigure',
      configuration: { applyConfig: { max_connections: '200', work_mem: '64MB' } },
    },
  ],
  [
    'Postgres Reconfigure values that need quoting',
    {
      ...base,
      databaseKind: 'Postgres',
      type: 'Reconfigure',
      configuration: {
        applyConfig: {
          search_path: '"$user", public',
          application_name: "it's #1",
          'auto_explain.log_format': '',
          log_line_prefix: ' %m [%p] ',
          timezone: "'UTC'",
        },
      },
      timeoutMs: 1,
    },
  ],
);

describe('renderOpsRequest round-trips through the loader', () => {
  it.each(intents)('%s', (_, intent) => {
    const { r, desired, op } = roundTrip(intent);
    expect(desired.errors).toEqual([]);
    expect(desired.warnings).toEqual([]);
    expect(desired.opsRequests).toHaveLength(1);
    expect(op).toMatchObject({
      kind: `${intent.databaseKind}OpsRequest`,
      name: r.name,
      database: intent.database,
      type: intent.type,
      apply: intent.apply ?? 'IfReady',
      origin: { file: r.path },
    });
    expect(op?.timeoutMs).toBe(intent.timeoutMs);
    expect(op?.volumeExpansion).toEqual(intent.volumeExpansion);
    expect(op?.configuration?.applyConfig).toEqual(intent.configuration?.applyConfig);
    if (op?.configuration) {
      expect(Object.keys(op.configuration.applyConfig)).toEqual(
        Object.keys(intent.configuration?.applyConfig ?? {}),
      );
      expect(op.configuration).toMatchObject({ removeCustomConfig: false, restart: 'auto' });
    }
    const dbWithOp = desired.databases.get(intent.database);
    expect(dbWithOp?.ops.map((o) => o.name)).toEqual([r.name]);
  });

  it('writes the KubeDB shape', () => {
    const r = renderOpsRequest({
      ...base,
      databaseKind: 'Redis',
      type: 'VolumeExpansion',
      volumeExpansion: { mode: 'Online', bytes: 2 * gi },
      timeoutMs: 600_000,
      annotations: { 'dbops.dev/autoscaler': 'cache-storage' },
      comment: 'usage 91%',
    });
    expect(r.text).toBe(
      [
        '# usage 91%',
        'apiVersion: ops.kubedb.com/v1alpha1',
        'kind: RedisOpsRequest',
        'metadata:',
        '  name: cache-volumeexpansion-20261121-090507',
        '  annotations:',
        '    dbops.dev/autoscaler: cache-storage',
        'spec:',
        '  type: VolumeExpansion',
        '  databaseRef:',
        '    name: cache',
        '  volumeExpansion:',
        '    mode: Online',
        '    redis: 2Gi',
        '  timeout: 10m',
        '',
      ].join('\n'),
    );
  });

  it('writes settings one per line, quoting only where the parser needs it', () => {
    const r = renderOpsRequest(
      intents.find(([n]) => n === 'Redis Reconfigure values that need quoting')![1],
    );
    expect(r.text).toContain(
      [
        '      redis.conf: |-',
        '        notify-keyspace-events ""',
        '        save 900 1 300 10',
        `        client-output-buffer-limit '"quoted"'`,
        '        latency-tracking-info-percentiles " 50 99 "',
        '        hz on',
      ].join('\n'),
    );
  });

  it('quotes Postgres values that postgresql.conf would not read unquoted', () => {
    const r = renderOpsRequest(
      intents.find(([n]) => n === 'Postgres Reconfigure values that need quoting')![1],
    );
    expect(r.text).toContain(
      [
        '      user.conf: |-',
        `        search_path = '"$user", public'`,
        `        application_name = 'it''s #1'`,
        `        auto_explain.log_format = ''`,
        `        log_line_prefix = ' %m [%p] '`,
        `        timezone = '''UTC'''`,
      ].join('\n'),
    );
    expect(
      renderOpsRequest(intents.find(([n]) => n === 'Postgres Reconfigure')![1]).text,
    ).toContain('      user.conf: |-\n        max_connections = 200\n        work_mem = 64MB\n');
  });

  it('quotes strings a YAML 1.1 reader (kubectl) would take for booleans or numbers', () => {
    const r = renderOpsRequest({
      ...base,
      database: 'on',
      databaseKind: 'Postgres',
      type: 'Restart',
      annotations: { n: 'no', y: '0o17' },
    });
    expect(r.text).toContain('    "n": "no"\n    "y": "0o17"\n');
    expect(r.text).toContain('    name: "on"\n');
    const { desired } = roundTrip({
      ...base,
      database: 'on',
      databaseKind: 'Postgres',
      type: 'Restart',
    });
    expect(desired.errors).toEqual([]);
  });

  it('is deterministic: the same intent gives the same bytes, whatever the annotation order', () => {
    const intent = intents[1]![1];
    const again = {
      ...intent,
      annotations: Object.fromEntries(Object.entries(intent.annotations ?? {}).reverse()),
    };
    expect(renderOpsRequest(again)).toEqual(renderOpsRequest(structuredClone(intent)));
  });
});

describe('file name and metadata.name', () => {
  it.each([
    [0, '19700101-000000'],
    [at, '20261121-090507'],
    [Date.UTC(2026, 0, 1, 23, 59, 59, 999), '20260101-235959'],
    [Date.UTC(9999, 11, 31, 23, 59, 59), '99991231-235959'],
  ])('opsFileStamp(%i) = %s', (ms, stamp) => expect(opsFileStamp(ms)).toBe(stamp));

  it.each([-1, 1.5, Number.NaN, Date.UTC(10000, 0, 1)])(
    'opsFileStamp(%d) is a usage error',
    (ms) => {
      expect(() => opsFileStamp(ms)).toThrow(expect.objectContaining({ code: codes.usage }));
    },
  );

  it.each([
    [
      'cache',
      'VolumeExpansion',
      'ops/20261121-090507-cache-volumeexpansion.yaml',
      'cache-volumeexpansion-20261121-090507',
    ],
    ['cache', 'Restart', 'ops/20261121-090507-cache-restart.yaml', 'cache-restart-20261121-090507'],
    [
      'pg',
      'Reconfigure',
      'ops/20261121-090507-pg-reconfigure.yaml',
      'pg-reconfigure-20261121-090507',
    ],
  ] as const)('%s %s -> %s, %s', (database, type, path, name) => {
    const intent: OpsIntent = {
      at,
      database,
      databaseKind: 'Redis',
      type,
      ...(type === 'VolumeExpansion' ? { volumeExpansion: { mode: 'Online', bytes: gi } } : {}),
      ...(type === 'Reconfigure' ? { configuration: { applyConfig: { maxmemory: '1gb' } } } : {}),
    };
    expect(renderOpsRequest(intent)).toMatchObject({ path, name });
  });

  it('orders files by time, as the ledger needs', () => {
    const paths = [at + 1000, at, at + 3_600_000].map(
      (t) => renderOpsRequest({ ...base, databaseKind: 'Redis', type: 'Restart', at: t }).path,
    );
    expect([...paths].sort()).toEqual([paths[1], paths[0], paths[2]]);
  });

  it('cuts a long database name to a valid label that stays distinct', () => {
    // Database names have at most 40 characters; with the longest type that is still too long.
    const long = `${'a'.repeat(30)}-${'b'.repeat(9)}`;
    const other = `${'a'.repeat(30)}-${'c'.repeat(9)}`;
    const ve = (database: string): OpsIntent => ({
      ...base,
      database,
      databaseKind: 'Redis',
      type: 'VolumeExpansion',
      volumeExpansion: { mode: 'Online', bytes: 2 * gi },
    });
    const a = roundTrip(ve(long));
    const b = renderOpsRequest(ve(other));
    expect(a.desired.errors).toEqual([]);
    expect(a.r.name.length).toBeLessThanOrEqual(63);
    expect(a.r.name).toMatch(/^a{24}-[0-9a-f]{6}-volumeexpansion-20261121-090507$/);
    expect(b.name).not.toBe(a.r.name);
    expect(a.r.path).toBe(`ops/20261121-090507-${long}-volumeexpansion.yaml`);
    // A cut that ends on '-' does not leave a double dash.
    const dashed = renderOpsRequest(ve(`${'a'.repeat(23)}-${'b'.repeat(16)}`)).name;
    expect(dashed).toMatch(/^a{23}-[0-9a-f]{6}-/);
  });
});

describe('timeouts are Go durations that parse back exactly', () => {
  it.each([
    [1, '1ms'],
    [1000, '1s'],
    [90_000, '1m30s'],
    [90_500, '1m30s500ms'],
    [600_000, '10m'],
    [3_600_000, '1h'],
    [36 * 3_600_000 + 1, '36h1ms'],
  ])('%i ms -> %s', (ms, text) => {
    const r = renderOpsRequest({ ...base, databaseKind: 'Redis', type: 'Restart', timeoutMs: ms });
    expect(r.text).toContain(`  timeout: ${text}\n`);
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });
});

describe('intents it cannot render are usage errors', () => {
  const redis = { ...base, databaseKind: 'Redis' } as const;
  it.each<[string, OpsIntent, RegExp]>([
    ['no size', { ...redis, type: 'VolumeExpansion' }, /VolumeExpansion needs volumeExpansion/],
    [
      'zero size',
      { ...redis, type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 0 } },
      /size 0/,
    ],
    [
      'fractional size',
      { ...redis, type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 1.5 } },
      /size 1.5/,
    ],
    [
      'unsafe size',
      { ...redis, type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 2 ** 53 } },
      /whole number of bytes/,
    ],
    [
      'bad mode',
      {
        ...redis,
        type: 'VolumeExpansion',
        volumeExpansion: { mode: 'Later' as 'Online', bytes: gi },
      },
      /mode Later/,
    ],
    ['no applyConfig', { ...redis, type: 'Reconfigure' }, /Reconfigure needs configuration/],
    [
      'empty applyConfig',
      { ...redis, type: 'Reconfigure', configuration: { applyConfig: {} } },
      /applyConfig is empty/,
    ],
    [
      'setting with a new line',
      {
        ...redis,
        type: 'Reconfigure',
        configuration: { applyConfig: { maxmemory: '1\ninclude /etc/x' } },
      },
      /spans several lines/,
    ],
    [
      'key with a space',
      { ...redis, type: 'Reconfigure', configuration: { applyConfig: { 'max memory': '1' } } },
      /reads back the same/,
    ],
    [
      'upper-case key',
      { ...redis, type: 'Reconfigure', configuration: { applyConfig: { MaxMemory: '1gb' } } },
      /reads back the same/,
    ],
    [
      'unquotable value',
      { ...redis, type: 'Reconfigure', configuration: { applyConfig: { maxmemory: ` a"b'c` } } },
      /reads back the same/,
    ],
    [
      'section of another type',
      { ...redis, type: 'Restart', volumeExpansion: { mode: 'Online', bytes: gi } },
      /only valid with type VolumeExpansion/,
    ],
    [
      'config on an expansion',
      {
        ...redis,
        type: 'VolumeExpansion',
        volumeExpansion: { mode: 'Online', bytes: gi },
        configuration: { applyConfig: { a: 'b' } },
      },
      /only valid with type Reconfigure/,
    ],
    [
      'unsupported type',
      { ...redis, type: 'HorizontalScaling' as 'Restart' },
      /type HorizontalScaling/,
    ],
    [
      'a type that is an Object method',
      { ...redis, type: 'toString' as 'Restart' },
      /type toString/,
    ],
    [
      'bad database name',
      { ...redis, database: 'Cache_1', type: 'Restart' },
      /not a valid database name/,
    ],
    ['zero timeout', { ...redis, type: 'Restart', timeoutMs: 0 }, /timeout 0 ms/],
    ['fractional timeout', { ...redis, type: 'Restart', timeoutMs: 1.5 }, /timeout 1.5 ms/],
    ['bad time', { ...redis, type: 'Restart', at: -5 }, /the time -5/],
    [
      'control character in the comment',
      { ...redis, type: 'Restart', comment: 'a\rkind: Evil' },
      /control character/,
    ],
    [
      'line separator in the comment',
      { ...redis, type: 'Restart', comment: 'a\u2028kind: Evil' },
      /control character/,
    ],
  ])('%s', (_, intent, message) => {
    expect(() => renderOpsRequest(intent)).toThrow(message);
    expect(() => renderOpsRequest(intent)).toThrow(expect.objectContaining({ code: codes.usage }));
  });

  it('renders a forbidden directive as given, so the loader names its file and line', () => {
    const { r, desired } = roundTrip({
      ...base,
      databaseKind: 'Redis',
      type: 'Reconfigure',
      configuration: { applyConfig: { maxmemory: '1gb', include: '/etc/x' } },
    });
    expect(r.text).toContain('include /etc/x');
    expect(desired.opsRequests).toEqual([]);
    expect(desired.errors).toEqual([
      expect.objectContaining({
        code: codes.forbiddenConfig,
        file: r.path,
        field: 'spec.configuration.applyConfig["redis.conf"]',
        line: 13,
      }),
    ]);
  });
});
