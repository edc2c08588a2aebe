import { describe, expect, it } from 'vitest';
import type { PlannedOperation } from '../plan/planned-operation.js';
import { evaluatePolicies } from './evaluate.js';
import { expansion, operation, policies, policyYaml, redis } from './fixtures.js';

const at = (iso: string) => Date.parse(iso);

const windowPolicy = (name: string, windows: [string, string][], ...more: string[]) =>
  policyYaml(
    name,
    ...more,
    'changeWindow:',
    '  windows:',
    ...windows.map(([s, d]) => `    - { schedule: "${s}", duration: ${d} }`),
  );

function waits(docs: string[], now: string, ops: PlannedOperation[] = [operation()]) {
  const verdicts = evaluatePolicies(
    policies(...docs),
    { database: redis(), labels: {}, before: null, operations: ops },
    at(now),
  );
  return verdicts.map((v) => ({
    policy: v.policy,
    effect: v.effect,
    operation: v.operation,
    opensAt: v.opensAt === undefined ? undefined : new Date(v.opensAt).toISOString(),
  }));
}

const saturday = windowPolicy('sat', [['0 2 * * 6', '4h']]);

describe('change windows', () => {
  // 2026-12-05 is a Saturday; 2026-12-01 a Tuesday.
  const cases: { name: string; docs: string[]; now: string; opensAt: string | null }[] = [
    { name: 'inside the window', docs: [saturday], now: '2026-12-05T03:00:00Z', opensAt: null },
    { name: 'at the opening', docs: [saturday], now: '2026-12-05T02:00:00Z', opensAt: null },
    {
      name: 'one ms before the close',
      docs: [saturday],
      now: '2026-12-05T05:59:59.999Z',
      opensAt: null,
    },
    {
      name: 'at the close: the next week',
      docs: [saturday],
      now: '2026-12-05T06:00:00Z',
      opensAt: '2026-12-12T02:00:00.000Z',
    },
    {
      name: 'outside: the next opening',
      docs: [saturday],
      now: '2026-12-01T12:00:00Z',
      opensAt: '2026-12-05T02:00:00.000Z',
    },
    {
      name: 'several windows: the first to open',
      docs: [
        windowPolicy('two', [
          ['0 2 * * 6', '4h'],
          ['0 22 * * 3', '2h'],
        ]),
      ],
      now: '2026-12-01T12:00:00Z',
      opensAt: '2026-12-02T22:00:00.000Z',
    },
    {
      name: 'several windows: inside the second',
      docs: [
        windowPolicy('two', [
          ['0 2 * * 6', '4h'],
          ['0 22 * * 3', '2h'],
        ]),
      ],
      now: '2026-12-02T23:30:00Z',
      opensAt: null,
    },
    {
      name: 'a window across midnight, opened the day before',
      docs: [windowPolicy('night', [['0 22 * * *', '4h']])],
      now: '2026-12-02T01:00:00Z',
      opensAt: null,
    },
    {
      name: 'a window longer than its period is always open',
      docs: [windowPolicy('hourly', [['0 * * * *', '2h']])],
      now: '2026-12-02T01:59:00Z',
      opensAt: null,
    },
    {
      name: 'month edge: the first of the next month, the next year',
      docs: [windowPolicy('monthly', [['0 0 1 * *', '6h']])],
      now: '2026-12-31T23:00:00Z',
      opensAt: '2027-01-01T00:00:00.000Z',
    },
    {
      name: 'month edge: the 31st skips the months without one',
      docs: [windowPolicy('last', [['0 0 31 * *', '1h']])],
      now: '2026-11-01T00:00:00Z',
      opensAt: '2026-12-31T00:00:00.000Z',
    },
    {
      name: 'month edge: 29 February opens in the next leap year',
      docs: [windowPolicy('leap', [['0 0 29 2 *', '1h']])],
      now: '2026-03-01T00:00:00Z',
      opensAt: '2028-02-29T00:00:00.000Z',
    },
    {
      name: 'weekday edge: day-of-month or day-of-week, as cron reads both',
      docs: [windowPolicy('either', [['0 0 13 * 5', '1h']])],
      now: '2026-12-01T12:00:00Z',
      opensAt: '2026-12-04T00:00:00.000Z',
    },
    {
      name: 'weekday edge: Sunday written as 7',
      docs: [windowPolicy('sun', [['0 3 * * 7', '1h']])],
      now: '2026-12-05T12:00:00Z',
      opensAt: '2026-12-06T03:00:00.000Z',
    },
    {
      name: 'weekday edge: names and a week that ends the month',
      docs: [windowPolicy('named', [['30 1 * * MON', '1h']])],
      now: '2026-11-30T03:00:00Z', // a Monday, after its window
      opensAt: '2026-12-07T01:30:00.000Z',
    },
  ];

  it.each(cases)('$name', (c) => {
    const got = waits(c.docs, c.now);
    if (c.opensAt === null) expect(got).toEqual([]);
    else
      expect(got).toEqual([
        {
          policy: c.docs[0]?.match(/name: (\S+)/)?.[1],
          effect: 'wait',
          operation: 0,
          opensAt: c.opensAt,
        },
      ]);
  });

  it('says which operation waits, what it restarts and until when', () => {
    const verdicts = evaluatePolicies(
      policies(saturday),
      { database: redis(), labels: {}, before: null, operations: [operation()] },
      at('2026-12-01T12:00:00Z'),
    );
    expect(verdicts).toEqual([
      {
        policy: 'sat',
        file: 'policies/test.yaml',
        line: 1,
        database: 'cache',
        effect: 'wait',
        operation: 0,
        opensAt: at('2026-12-05T02:00:00Z'),
        message:
          'policy sat (policies/test.yaml:1): Restart restart-cache (ops/restart-cache.yaml) restarts cache-0 and cache-1 outside the change windows (UTC: "0 2 * * 6" for 4h); it waits until 2026-12-05T02:00:00.000Z',
      },
    ]);
  });

  it('holds only operations that run and, by default, restart members', () => {
    const ops = [
      operation({ outcome: 'skip', message: 'nothing to do', parameters: null }),
      expansion(1, 2), // no restarts
      operation({ outcome: 'fail', message: 'refused', parameters: null }),
      operation({ name: 'restart-again' }),
    ];
    expect(waits([saturday], '2026-12-01T12:00:00Z', ops).map((w) => w.operation)).toEqual([3]);
    const all = policyYaml(
      'all',
      'changeWindow:',
      '  operations: all',
      '  windows: [{ schedule: "0 2 * * 6", duration: 4h }]',
    );
    expect(waits([all], '2026-12-01T12:00:00Z', ops).map((w) => w.operation)).toEqual([1, 3]);
  });

  it('needs every change-window policy open at once: the wait ends when all are', () => {
    const daily = windowPolicy('daily', [['0 4 * * *', '4h']]);
    // Tuesday noon: both closed; on Saturday "sat" opens at 02:00 and "daily" at 04:00.
    expect(waits([saturday, daily], '2026-12-01T12:00:00Z')).toEqual([
      { policy: 'sat', effect: 'wait', operation: 0, opensAt: '2026-12-05T04:00:00.000Z' },
      { policy: 'daily', effect: 'wait', operation: 0, opensAt: '2026-12-05T04:00:00.000Z' },
    ]);
    // Saturday 03:00: "sat" is open, "daily" is not; only the closed one speaks.
    expect(waits([saturday, daily], '2026-12-05T03:00:00Z')).toEqual([
      { policy: 'daily', effect: 'wait', operation: 0, opensAt: '2026-12-05T04:00:00.000Z' },
    ]);
    expect(waits([saturday, daily], '2026-12-05T05:00:00Z')).toEqual([]);
  });

  it('denies an operation whose windows are never open together', () => {
    const sunday = windowPolicy('sun', [['0 12 * * 0', '1h']]);
    const sat = windowPolicy('sat', [['0 2 * * 6', '1h']]);
    const verdicts = evaluatePolicies(
      policies(sat, sunday),
      { database: redis(), labels: {}, before: null, operations: [operation()] },
      at('2026-12-01T12:00:00Z'),
    );
    expect(verdicts.map((v) => [v.policy, v.effect, v.opensAt])).toEqual([
      ['sat', 'deny', undefined],
      ['sun', 'deny', undefined],
    ]);
    expect(verdicts[0]?.message).toMatch(
      /never open together within five years; policies sat and sun must all be open: change the windows/,
    );
  });

  it('ignores window policies that do not match the database', () => {
    const other = windowPolicy('pg', [['0 2 * * 6', '4h']], 'match: { kinds: [Postgres] }');
    expect(waits([other], '2026-12-01T12:00:00Z')).toEqual([]);
  });
});
