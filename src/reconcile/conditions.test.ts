import { describe, expect, it } from 'vitest';
import { Cond, Reason, type Condition } from '../api/conditions.js';
import { setCondition, summarize } from './conditions.js';

const t0 = Date.UTC(2026, 10, 21, 12);
const c = (type: string, status: Condition['status'], message = ''): Condition => ({
  type,
  status,
  reason: 'R',
  message,
  lastTransitionTime: new Date(t0).toISOString(),
});

describe('summarize', () => {
  const cases: {
    name: string;
    conds: Condition[];
    opts: Parameters<typeof summarize>[2];
    phase: string;
    ready: Condition['status'];
  }[] = [
    {
      name: 'members ready and nothing else asked: Ready',
      conds: [c('MembersReady', 'True')],
      opts: { halted: false, working: false },
      phase: 'Ready',
      ready: 'True',
    },
    {
      name: 'cluster not healthy yet on first provisioning: Provisioning',
      conds: [c('MembersReady', 'True'), c('ClusterHealthy', 'False', 'slots missing')],
      opts: { halted: false, working: false },
      phase: 'Provisioning',
      ready: 'False',
    },
    {
      name: 'no observation at all is not ready',
      conds: [],
      opts: { halted: false, working: true },
      phase: 'Provisioning',
      ready: 'False',
    },
    {
      name: 'was ready, replication broke: NotReady',
      conds: [c('Ready', 'True'), c('MembersReady', 'True'), c('ReplicationHealthy', 'False')],
      opts: { halted: false, working: false },
      phase: 'NotReady',
      ready: 'False',
    },
    {
      name: 'stalled wins over readiness',
      conds: [c('MembersReady', 'True')],
      opts: { halted: false, working: false, stalled: { reason: 'StepFailed', message: 'x' } },
      phase: 'Failed',
      ready: 'True',
    },
    {
      name: 'halted',
      conds: [c('MembersReady', 'True')],
      opts: { halted: true, working: false },
      phase: 'Halted',
      ready: 'False',
    },
  ];
  it.each(cases)('$name', ({ conds, opts, phase, ready }) => {
    expect(summarize(conds, t0, opts)).toBe(phase);
    expect(conds.find((x) => x.type === 'Ready')?.status).toBe(ready);
    expect(conds.some((x) => x.type === 'Stalled')).toBe(Boolean(opts.stalled));
  });

  it('explains why a database is not ready', () => {
    const conds = [c('MembersReady', 'False', 'not running: a-0')];
    summarize(conds, t0, { halted: false, working: false });
    expect(conds.find((x) => x.type === 'Ready')?.message).toBe('not running: a-0');
  });
});

describe('setCondition', () => {
  it('keeps the transition time while the status stays, moves it when it changes', () => {
    const list: Condition[] = [];
    setCondition(list, t0, Cond.Ready, 'False', Reason.Provisioning, 'a');
    setCondition(list, t0 + 1000, Cond.Ready, 'False', Reason.NotReady, 'b');
    expect(list[0]).toMatchObject({
      reason: Reason.NotReady,
      lastTransitionTime: new Date(t0).toISOString(),
    });
    setCondition(list, t0 + 2000, Cond.Ready, 'True', Reason.Succeeded, 'c');
    expect(list[0]?.lastTransitionTime).toBe(new Date(t0 + 2000).toISOString());
    expect(list).toHaveLength(1);
  });
});
