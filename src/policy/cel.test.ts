import { describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../api/desired.js';
import { evaluatePolicies } from './evaluate.js';
import {
  expansion,
  operation,
  policies,
  policyYaml,
  postgres,
  redis,
  subject,
} from './fixtures.js';
import type { Policy } from './policy.js';

const gi = 2 ** 30;
const now = Date.UTC(2026, 11, 1);

const celPolicy = (expression: string, ...more: string[]) =>
  policies(
    policyYaml(
      'c',
      'cel:',
      `  expression: ${JSON.stringify(expression)}`,
      ...more.map((l) => `  ${l}`),
    ),
  );

function judge(set: Policy[], database: DatabaseSpec, more: Parameters<typeof subject>[1] = {}) {
  return evaluatePolicies(set, subject(database, more), now);
}

const prefix = 'policy c (policies/test.yaml:1): ';
const messages = (vs: { message: string }[]) => vs.map((v) => v.message.replace(prefix, ''));

describe('CEL rules on a database', () => {
  const big =
    "database.storageBytes <= 10 * 1024 * 1024 * 1024 || database.labels[?'tier'].orValue('') == 'big'";
  const cases: {
    name: string;
    expression: string;
    database: DatabaseSpec;
    labels?: Record<string, string>;
    before?: DatabaseSpec;
    want: (string | RegExp)[];
  }[] = [
    {
      name: 'true: allowed',
      expression: big,
      database: redis({ storageBytes: 10 * gi }),
      want: [],
    },
    {
      name: 'ints are exact',
      expression: 'database.storageBytes == 10737418241',
      database: redis({ storageBytes: 10 * gi + 1 }),
      want: [],
    },
    {
      name: 'labels',
      expression: big,
      database: redis({ storageBytes: 11 * gi }),
      labels: { tier: 'big' },
      want: [],
    },
    {
      name: 'false: the default message',
      expression: big,
      database: redis({ storageBytes: 11 * gi }),
      want: [`the CEL rule \`${big}\` is false`],
    },
    {
      name: 'before is null for a new database',
      expression: 'before == null || before.storageBytes <= database.storageBytes',
      database: redis(),
      want: [],
    },
    {
      name: 'before is the last spec',
      expression: 'before == null || before.replicas <= database.replicas',
      database: postgres({ replicas: 1 }),
      before: postgres({ replicas: 3 }),
      want: ['the CEL rule `before == null || before.replicas <= database.replicas` is false'],
    },
    {
      name: 'config, mode and shards',
      expression:
        "database.mode == 'Cluster' && database.shards >= 3 && !('save' in database.config)",
      database: redis({ mode: 'Cluster', shards: 3, replicas: 2, config: { maxmemory: '1gb' } }),
      want: [],
    },
    {
      name: 'Postgres has no mode and one shard',
      expression: "database.mode == '' && database.shards == 1 && database.kind == 'Postgres'",
      database: postgres(),
      want: [],
    },
    {
      name: 'a missing key at run time: a deny that says why',
      expression: "database.labels['tier'] == 'big'",
      database: redis(),
      want: [
        'the CEL expression failed: No such key: tier; fix the expression (check a key with has() or "in" before reading it), the change is denied until then',
      ],
    },
    {
      name: 'an overflow at run time',
      expression: 'database.storageBytes * 1024 * 1024 * 1024 * 1024 > 0',
      database: redis({ storageBytes: 1024 * gi }),
      want: [/^the CEL expression failed: integer overflow/],
    },
    {
      name: 'a dyn result that is not a bool at run time',
      expression: 'before.storageBytes',
      database: redis(),
      before: redis(),
      want: [/^the CEL expression failed: it returned the number 1073741824, not true or false/],
    },
  ];

  it.each(cases)('$name', (c) => {
    const more = {
      ...(c.labels ? { labels: c.labels } : {}),
      ...(c.before ? { before: c.before } : {}),
    };
    const verdicts = judge(celPolicy(c.expression), c.database, more);
    expect(verdicts.every((v) => v.effect === 'deny' && v.operation === undefined)).toBe(true);
    const got = messages(verdicts);
    expect(got).toHaveLength(c.want.length);
    c.want.forEach((w, i) =>
      typeof w === 'string' ? expect(got[i]).toBe(w) : expect(got[i]).toMatch(w),
    );
  });

  it('uses the policy message when the rule is false', () => {
    const set = celPolicy(big, 'message: storage above 10 GiB needs tier big');
    expect(messages(judge(set, redis({ storageBytes: 11 * gi })))).toEqual([
      'storage above 10 GiB needs tier big',
    ]);
  });
});

describe('CEL rules on operations', () => {
  it('runs once per planned operation and names the operation', () => {
    const set = celPolicy(
      'operation.failovers == 0 && size(operation.restarts) <= 1',
      'on: operation',
      'message: one restart at a time',
    );
    const ops = [operation(), expansion(1, 2), operation({ restarts: ['cache-0'] })];
    const verdicts = judge(set, redis(), { operations: ops });
    expect(verdicts.map((v) => [v.operation, v.message.replace(prefix, '')])).toEqual([
      [0, 'one restart at a time for Restart restart-cache (ops/restart-cache.yaml)'],
    ]);
  });

  it('sees parameters as a map with ints, and a spec change with a null name', () => {
    const set = celPolicy(
      "operation.type != 'VolumeExpansion' || (operation.name == null && operation.parameters.toBytes - operation.parameters.fromBytes <= 1073741824)",
      'on: operation',
    );
    const specChange = { ...expansion(1, 2), source: 'SpecChange' as const, name: null };
    expect(judge(set, redis(), { operations: [specChange, operation()] })).toEqual([]);
    expect(judge(set, redis(), { operations: [expansion(1, 2)] }).map((v) => v.operation)).toEqual([
      0,
    ]);
  });

  it('a run-time error in one operation is a deny for that operation only', () => {
    const set = celPolicy("operation.parameters.mode == 'Online'", 'on: operation');
    const verdicts = judge(set, redis(), { operations: [expansion(1, 2), operation()] });
    expect(verdicts.map((v) => [v.operation, v.effect])).toEqual([[1, 'deny']]);
    expect(verdicts[0]?.message).toMatch(
      /the CEL expression failed for Restart restart-cache \(ops\/restart-cache.yaml\): No such key: mode/,
    );
  });
});

describe('compiled once, at load time', () => {
  it('evaluates the compiled program, never the source again', () => {
    const [loaded] = celPolicy('database.replicas <= 3');
    if (loaded?.rule.type !== 'cel') throw new Error('expected a CEL policy');
    let runs = 0;
    const program = loaded.rule.program;
    // The source no longer compiles: evaluation must not look at it.
    const p: Policy = {
      ...loaded,
      rule: {
        ...loaded.rule,
        source: 'this does not compile (',
        program: { run: (vars) => (runs++, program.run(vars)) },
      },
    };
    for (let i = 0; i < 1000; i++) {
      expect(judge([p], postgres({ replicas: 2 }))).toEqual([]);
    }
    expect(judge([p], postgres({ replicas: 4 }))).toHaveLength(1);
    expect(runs).toBe(1001);
  });
});
