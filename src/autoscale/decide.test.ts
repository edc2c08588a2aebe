import { describe, expect, it } from 'vitest';
import type { Autoscaler, ScalingRule } from '../api/desired.js';
import { decide, describeDecision, type DecideInput, type Decision } from './decide.js';

const Ki = 1024;
const Mi = 1024 * Ki;
const Gi = 1024 * Mi;
const Ti = 1024 * Gi;

type Storage = Autoscaler['storage'];
const db = { present: true, halted: false, ready: true };

// One member of `cap` bytes with `pct` percent used, rounded down to a whole byte.
const vol = (pct: number, cap = 1 * Gi, member = 'cache-0') => ({
  member,
  usedBytes: Math.floor((cap * pct) / 100),
  capacityBytes: cap,
});
const up = (upto: number | null, threshold: ScalingRule['threshold']): ScalingRule => ({
  appliesUptoBytes: upto,
  threshold,
});

function input(over: Partial<DecideInput> = {}, storage: Partial<Storage> = {}): DecideInput {
  const autoscaler: Autoscaler = {
    kind: 'RedisAutoscaler',
    name: 'cache-storage',
    database: 'cache',
    origin: { file: 'autoscalers/cache.yaml' },
    storage: {
      trigger: true,
      usageThreshold: 80,
      scalingThreshold: 50,
      scalingRules: [],
      expansionMode: 'Online',
      ...storage,
    },
    opsRequestOptions: { apply: 'IfReady' },
  };
  const base = { currentBytes: 1 * Gi, usage: [vol(90)], database: db, expansionInFlight: false };
  return { autoscaler, ...base, cooldownMs: 300_000, now: 1_000_000, ...over };
}
const gate = (state: Partial<typeof db>) => input({ database: { ...db, ...state } });

describe('decide', () => {
  const cases: { name: string; in: DecideInput; want: Partial<Decision> }[] = [
    { name: 'trigger off', in: input({}, { trigger: false }), want: { reason: 'TriggerOff' } },
    { name: 'not present', in: gate({ present: false }), want: { reason: 'NotPresent' } },
    { name: 'halted', in: gate({ halted: true }), want: { reason: 'Halted' } },
    {
      name: 'not ready, checked before usage',
      in: input({ database: { ...db, ready: false }, usage: [] }),
      want: { reason: 'NotReady' },
    },
    {
      name: 'in flight keeps the usage for display',
      in: input({ expansionInFlight: true }),
      want: { reason: 'InFlight', usedPercent: 90 },
    },
    {
      name: 'within the cooldown',
      in: input({ lastExpansionEndedAt: 1_000_000 - 60_000 }),
      want: { reason: 'Cooldown', message: 'cooling down after the last expansion: 240s left' },
    },
    {
      name: 'cooldown just over',
      in: input({ lastExpansionEndedAt: 1_000_000 - 300_000 }),
      want: { action: 'expand', toBytes: 1536 * Mi },
    },
    { name: 'no sample', in: input({ usage: [] }), want: { reason: 'NoUsage' } },
    {
      name: 'only zero-capacity samples',
      in: input({ usage: [{ member: 'cache-0', usedBytes: 0, capacityBytes: 0 }] }),
      want: { reason: 'NoUsage' },
    },
    {
      name: 'below the threshold',
      in: input({ usage: [vol(79)] }),
      want: {
        reason: 'BelowThreshold',
        usedPercent: 79,
        message: 'usage 79% of cache-0 is not above 80%',
      },
    },
    {
      name: 'exactly at the threshold does not fire',
      in: input({ usage: [vol(80, 100 * Mi)] }),
      want: { reason: 'BelowThreshold', usedPercent: 80 },
    },
    {
      name: 'one byte over fires, shown rounded up',
      in: input({
        usage: [{ member: 'cache-0', usedBytes: 80 * Mi + 1, capacityBytes: 100 * Mi }],
        currentBytes: 100 * Mi,
      }),
      want: { action: 'expand', usedPercent: 81, toBytes: 150 * Mi },
    },
    {
      name: 'no rules: scalingThreshold, 100Gi x 1.5 exactly',
      in: input({ usage: [vol(83, 100 * Gi)], currentBytes: 100 * Gi }),
      want: { action: 'expand', toBytes: 150 * Gi, rule: 'scalingThreshold 50%', usedPercent: 83 },
    },
    {
      name: 'percentage rule, rounded up to a MiB',
      in: input({}, { scalingRules: [up(10 * Gi, { percent: 20 })] }),
      want: { toBytes: 1229 * Mi, rule: 'rule appliesUpto 10Gi: +20%', cappedAtUpperBound: false },
    },
    {
      name: 'absolute rule',
      in: input({}, { scalingRules: [up(10 * Gi, { bytes: 1 * Gi })] }),
      want: { toBytes: 2 * Gi, rule: 'rule appliesUpto 10Gi: +1Gi' },
    },
    {
      name: 'first matching rule in list order, not the tightest',
      in: input(
        { usage: [vol(90, 5 * Gi)], currentBytes: 5 * Gi },
        { scalingRules: [up(100 * Gi, { percent: 10 }), up(10 * Gi, { percent: 50 })] },
      ),
      want: { toBytes: 5632 * Mi, rule: 'rule appliesUpto 100Gi: +10%' },
    },
    {
      name: 'a rule applies up to and including its size',
      in: input({}, { scalingRules: [up(1 * Gi, { percent: 100 }), up(null, { percent: 10 })] }),
      want: { toBytes: 2 * Gi, rule: 'rule appliesUpto 1Gi: +100%' },
    },
    {
      name: 'catch-all when no bounded rule covers the size',
      in: input(
        { usage: [vol(90, 2 * Gi)], currentBytes: 2 * Gi },
        { scalingRules: [up(1 * Gi, { percent: 100 }), up(null, { bytes: 1 * Gi })] },
      ),
      want: { toBytes: 3 * Gi, rule: 'rule: +1Gi' },
    },
    {
      name: 'a catch-all listed first does not shadow a bounded rule',
      in: input({}, { scalingRules: [up(null, { bytes: 1 * Gi }), up(10 * Gi, { percent: 20 })] }),
      want: { toBytes: 1229 * Mi, rule: 'rule appliesUpto 10Gi: +20%' },
    },
    {
      name: 'rules that do not cover the size and no catch-all: scalingThreshold',
      in: input(
        { usage: [vol(90, 2 * Gi)], currentBytes: 2 * Gi },
        { scalingRules: [up(1 * Gi, { percent: 100 })] },
      ),
      want: { toBytes: 3 * Gi, rule: 'scalingThreshold 50%' },
    },
    {
      name: 'capped at the upper bound',
      in: input({}, { upperBoundBytes: 1200 * Mi }),
      want: { action: 'expand', toBytes: 1200 * Mi, cappedAtUpperBound: true },
    },
    {
      name: 'an upper bound that is not a whole MiB wins over the rounding',
      in: input({}, { upperBoundBytes: 1 * Gi + 4 * Ki }),
      want: { toBytes: 1 * Gi + 4 * Ki, cappedAtUpperBound: true },
    },
    {
      name: 'at the upper bound',
      in: input({ usage: [vol(91, 10 * Gi)], currentBytes: 10 * Gi }, { upperBoundBytes: 10 * Gi }),
      want: {
        reason: 'AtUpperBound',
        usedPercent: 91,
        message: 'at the upper bound 10Gi: not expanding (usage 91% > 80%)',
      },
    },
    {
      name: 'XFS-like capacity that is not a whole MiB',
      in: input({ usage: [vol(95, 300 * Mi + 4 * Ki)], currentBytes: 300 * Mi }),
      want: { fromBytes: 300 * Mi, toBytes: 451 * Mi },
    },
    {
      name: 'cluster: the highest share wins, not the most bytes',
      in: input({
        usage: [vol(50, 2 * Gi, 'cache-0'), vol(85, 1 * Gi, 'cache-1'), vol(70, 1 * Gi, 'cache-2')],
      }),
      want: { member: 'cache-1', usedPercent: 85 },
    },
    {
      name: 'cluster: a tie goes to the first member name',
      in: input({ usage: [vol(90, 1 * Gi, 'cache-2'), vol(90, 1 * Gi, 'cache-1')] }),
      want: { member: 'cache-1' },
    },
    {
      name: 'Git already grew, the volume not yet: not above the desired size',
      in: input({ currentBytes: 2 * Gi }),
      want: {
        reason: 'NotAboveCurrent',
        message:
          '1536Mi from the measured 1Gi is not above the desired 2Gi: not expanding (usage 90% > 80%)',
      },
    },
    {
      name: 'the rule is chosen by max(capacity, desired size)',
      in: input(
        { usage: [vol(90, 1 * Gi)], currentBytes: 4 * Gi },
        { scalingRules: [up(2 * Gi, { percent: 10 }), up(null, { bytes: 4 * Gi })] },
      ),
      want: { action: 'expand', fromBytes: 4 * Gi, toBytes: 5 * Gi, rule: 'rule: +4Gi' },
    },
    {
      name: 'Ti sizes are exact',
      in: input(
        { usage: [vol(90, 7 * Ti)], currentBytes: 7 * Ti },
        { scalingRules: [up(null, { percent: 33 })] },
      ),
      want: { toBytes: 9762243 * Mi },
    },
    {
      name: 'an XFS volume: the share is of the filesystem, the growth of the provisioned size',
      in: input({
        usage: [{ member: 'cache-0', usedBytes: 850 * Mi, capacityBytes: 960 * Mi, sizeBytes: Gi }],
      }),
      want: { action: 'expand', usedPercent: 89, fromBytes: Gi, toBytes: 1536 * Mi },
    },
    {
      name: 'the provisioned size is only a growth base: below the threshold of the filesystem, nothing',
      in: input({
        usage: [{ member: 'cache-0', usedBytes: 760 * Mi, capacityBytes: 960 * Mi, sizeBytes: Gi }],
      }),
      want: { reason: 'BelowThreshold', usedPercent: 80 },
    },
  ];
  it.each(cases)('$name', ({ in: i, want }) => {
    const got = decide(i);
    expect(got).toMatchObject(want);
    if (got.action === 'none') expect(got.message).not.toBe('');
  });

  it('expands with a full decision and sentence', () => {
    expect(decide(input({ usage: [vol(83)] }))).toEqual({
      action: 'expand',
      message: 'usage 83% of cache-0 is above 80%: expand 1Gi -> 1536Mi',
      fromBytes: 1 * Gi,
      toBytes: 1536 * Mi,
      member: 'cache-0',
      usedPercent: 83,
      thresholdPercent: 80,
      rule: 'scalingThreshold 50%',
      cappedAtUpperBound: false,
    });
  });
});

describe('describeDecision', () => {
  it('gives the subject and trailers of the bot commit', () => {
    expect(describeDecision(decide(input({ usage: [vol(83)] })), 'cache')).toEqual({
      subject: 'autoscale(cache): expand storage 1Gi -> 1536Mi (usage 83% > 80%)',
      trailers: {
        'Dbops-Database': 'cache',
        'Dbops-Usage': '83%',
        'Dbops-Threshold': '80%',
        'Dbops-Old-Size': '1Gi',
        'Dbops-New-Size': '1536Mi',
        'Dbops-Member': 'cache-0',
      },
    });
  });

  it('throws for a none decision', () => {
    expect(() => describeDecision(decide(input({ usage: [] })), 'cache')).toThrow(/NoUsage/);
  });
});
