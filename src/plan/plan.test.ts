import { describe, expect, it } from 'vitest';
import type { DatabaseSpec, EffectiveDatabase } from '../api/desired.js';
import { codes } from '../errors.js';
import { plan, type PlanDesired, type PlanKnown } from './plan.js';

const redis = (name: string, over: Partial<DatabaseSpec> = {}): DatabaseSpec => ({
  kind: 'Redis',
  name,
  version: '7.0',
  mode: 'Standalone',
  shards: 1,
  replicas: 1,
  storageType: 'Durable',
  storageBytes: 1 << 30,
  config: {},
  halted: false,
  deletionPolicy: 'Delete',
  ...over,
});

const eff = (spec: DatabaseSpec): EffectiveDatabase => ({
  spec,
  base: spec,
  origin: { file: `databases/${spec.name}.yaml` },
  provenance: {},
  labels: {},
  ops: [],
  autoscalers: [],
  notes: [],
});

const err = (database: string) => ({
  code: codes.invalidField,
  file: `databases/${database}.yaml`,
  line: 3,
  column: 1,
  field: 'spec.version',
  message: 'bad',
  database,
});

function desired(over: Partial<PlanDesired> = {}): PlanDesired {
  return { databases: new Map(), invalid: new Map(), incomplete: false, ...over };
}
function known(over: Partial<PlanKnown> = {}): PlanKnown {
  return { lastGood: new Map(), present: new Set(), haltedForRemoval: new Set(), ...over };
}

describe('plan', () => {
  const cases: { name: string; d: PlanDesired; k: PlanKnown; want: unknown[] }[] = [
    {
      name: 'a new database is ensured',
      d: desired({ databases: new Map([['a', eff(redis('a'))]]) }),
      k: known(),
      want: [{ type: 'ensure', database: 'a', stale: false }],
    },
    {
      name: 'halted in the spec halts',
      d: desired({ databases: new Map([['a', eff(redis('a', { halted: true }))]]) }),
      k: known(),
      want: [{ type: 'halt', database: 'a', reason: 'spec' }],
    },
    {
      name: 'invalid with a last good spec keeps the last good spec',
      d: desired({ invalid: new Map([['a', [err('a')]]]) }),
      k: known({ lastGood: new Map([['a', redis('a', { version: '6.2' })]]) }),
      want: [{ type: 'ensure', database: 'a', stale: true, spec: { version: '6.2' } }],
    },
    {
      name: 'invalid and never applied does nothing',
      d: desired({ invalid: new Map([['a', [err('a')]]]) }),
      k: known(),
      want: [{ type: 'keep', database: 'a' }],
    },
    {
      name: 'removed manifest halts by default',
      d: desired(),
      k: known({ lastGood: new Map([['a', redis('a')]]), present: new Set(['a']) }),
      want: [{ type: 'halt', database: 'a', reason: 'removed' }],
    },
    {
      name: 'removed manifest with WipeOut wipes',
      d: desired(),
      k: known({ lastGood: new Map([['a', redis('a', { deletionPolicy: 'WipeOut' })]]) }),
      want: [{ type: 'wipe', database: 'a' }],
    },
    {
      name: 'removed manifest with DoNotTerminate keeps running',
      d: desired(),
      k: known({ lastGood: new Map([['a', redis('a', { deletionPolicy: 'DoNotTerminate' })]]) }),
      want: [{ type: 'keep', database: 'a' }],
    },
    {
      name: 'removed manifest already halted stays as it is',
      d: desired(),
      k: known({ lastGood: new Map([['a', redis('a')]]), haltedForRemoval: new Set(['a']) }),
      want: [{ type: 'keep', database: 'a' }],
    },
    {
      name: 'an incomplete revision never removes',
      d: desired({ incomplete: true }),
      k: known({ lastGood: new Map([['a', redis('a', { deletionPolicy: 'WipeOut' })]]) }),
      want: [{ type: 'keep', database: 'a' }],
    },
    {
      name: 'runtime leftovers without any spec are halted, not deleted',
      d: desired(),
      k: known({ present: new Set(['orphan']) }),
      want: [{ type: 'halt', database: 'orphan', reason: 'removed' }],
    },
    {
      name: 'one invalid database does not hold back the others',
      d: desired({
        databases: new Map([['b', eff(redis('b'))]]),
        invalid: new Map([['a', [err('a')]]]),
      }),
      k: known({ lastGood: new Map([['a', redis('a')]]) }),
      want: [
        { type: 'ensure', database: 'a', stale: true },
        { type: 'ensure', database: 'b', stale: false },
      ],
    },
  ];
  it.each(cases)('$name', ({ d, k, want }) => {
    const got = plan(d, k);
    expect(got).toHaveLength(want.length);
    want.forEach((w, i) => expect(got[i]).toMatchObject(w as object));
  });
});
