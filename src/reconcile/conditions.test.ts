import { describe, expect, it } from 'vitest';
import { Cond, Reason, type Condition } from '../api/conditions.js';
import { setCondition, summarize, type Activity } from './conditions.js';

const t0 = Date.UTC(2026, 10, 21, 12);
const c = (type: string, status: Condition['status'], message = ''): Condition => ({
  type,
  status,
  reason: 'R',
  message,
  lastTransitionTime: new Date(t0).toISOString(),
});
const idle: Activity = { kind: 'idle' };
const find = (list: Condition[], type: string) => list.find((x) => x.type === type);

describe('summarize', () => {
  const cases: {
    name: string;
    conds: Condition[];
    activity: Activity;
    required?: string[];
    phase: string;
    ready: Condition['status'];
    reconciling: Pick<Condition, 'status' | 'reason' | 'message'>;
  }[] = [
    {
      name: 'members ready and nothing else asked: Ready',
      conds: [c('MembersReady', 'True')],
      activity: idle,
      phase: 'Ready',
      ready: 'True',
      reconciling: { status: 'False', reason: Reason.Succeeded, message: '' },
    },
    {
      name: 'a Redis Cluster whose health no step has reported yet: Provisioning, not Ready',
      conds: [c('MembersReady', 'True')],
      activity: { kind: 'retrying', message: 'members: servers not answering yet' },
      required: ['ClusterHealthy'],
      phase: 'Provisioning',
      ready: 'False',
      reconciling: {
        status: 'True',
        reason: Reason.Retrying,
        message: 'members: servers not answering yet',
      },
    },
    {
      name: 'a required condition present and True: Ready',
      conds: [c('MembersReady', 'True'), c('ReplicationHealthy', 'True')],
      activity: idle,
      required: ['ReplicationHealthy'],
      phase: 'Ready',
      ready: 'True',
      reconciling: { status: 'False', reason: Reason.Succeeded, message: '' },
    },
    {
      name: 'cluster not healthy yet on first provisioning: Provisioning',
      conds: [c('MembersReady', 'True'), c('ClusterHealthy', 'False', 'slots missing')],
      activity: idle,
      phase: 'Provisioning',
      ready: 'False',
      reconciling: { status: 'False', reason: Reason.Succeeded, message: '' },
    },
    {
      name: 'no observation at all is not ready; provisioning is in progress',
      conds: [],
      activity: { kind: 'progressing', reason: Reason.Progressing, message: 'provisioning' },
      phase: 'Provisioning',
      ready: 'False',
      reconciling: { status: 'True', reason: Reason.Progressing, message: 'provisioning' },
    },
    {
      name: 'was ready, replication broke: NotReady',
      conds: [c('Ready', 'True'), c('MembersReady', 'True'), c('ReplicationHealthy', 'False')],
      activity: idle,
      phase: 'NotReady',
      ready: 'False',
      reconciling: { status: 'False', reason: Reason.Succeeded, message: '' },
    },
    {
      name: 'an operation runs on a ready database: still Ready, Reconciling True',
      conds: [c('Ready', 'True'), c('MembersReady', 'True')],
      activity: { kind: 'progressing', reason: Reason.OperationProgressing, message: 'Restart r1' },
      phase: 'Ready',
      ready: 'True',
      reconciling: { status: 'True', reason: Reason.OperationProgressing, message: 'Restart r1' },
    },
    {
      name: 'a step is retried: Reconciling True with the failure',
      conds: [c('MembersReady', 'False', 'not running: a-0')],
      activity: { kind: 'retrying', message: 'members: port busy' },
      phase: 'Provisioning',
      ready: 'False',
      reconciling: { status: 'True', reason: Reason.Retrying, message: 'members: port busy' },
    },
    {
      name: 'stalled wins over readiness',
      conds: [c('MembersReady', 'True')],
      activity: { kind: 'stalled', reason: Reason.StepFailed, message: 'x' },
      phase: 'Failed',
      ready: 'True',
      reconciling: { status: 'False', reason: Reason.StepFailed, message: '' },
    },
    {
      name: 'halted (the Halted condition says so)',
      conds: [c('MembersReady', 'True'), c('Halted', 'True', 'spec.halted is true')],
      activity: idle,
      phase: 'Halted',
      ready: 'False',
      reconciling: { status: 'False', reason: Reason.Halted, message: '' },
    },
    {
      name: 'a kept database keeps its readiness and says why',
      conds: [c('Ready', 'True'), c('MembersReady', 'True')],
      activity: { kind: 'kept', message: 'deletionPolicy DoNotTerminate: still running' },
      phase: 'Ready',
      ready: 'True',
      reconciling: {
        status: 'False',
        reason: Reason.Kept,
        message: 'deletionPolicy DoNotTerminate: still running',
      },
    },
    {
      name: 'a kept halted database stays Halted and says why',
      conds: [c('MembersReady', 'False'), c('Halted', 'True')],
      activity: { kind: 'kept', message: 'manifest removed: halted, data kept' },
      phase: 'Halted',
      ready: 'False',
      reconciling: {
        status: 'False',
        reason: Reason.Kept,
        message: 'manifest removed: halted, data kept',
      },
    },
  ];
  it.each(cases)('$name', ({ conds, activity, required, phase, ready, reconciling }) => {
    expect(summarize(conds, t0, activity, required)).toBe(phase);
    expect(find(conds, Cond.Ready)?.status).toBe(ready);
    expect(find(conds, Cond.Reconciling)).toMatchObject(reconciling);
    expect(find(conds, Cond.Stalled)?.status).toBe(
      activity.kind === 'stalled' ? 'True' : undefined,
    );
  });

  it('explains why a database is not ready', () => {
    const conds = [c('MembersReady', 'False', 'not running: a-0')];
    summarize(conds, t0, idle);
    expect(find(conds, Cond.Ready)?.message).toBe('not running: a-0');
    summarize(conds, t0, idle, ['ClusterHealthy']);
    expect(find(conds, Cond.Ready)?.message).toBe('not running: a-0; ClusterHealthy not known yet');
  });

  it('clears Stalled once the database progresses again', () => {
    const conds = [c('MembersReady', 'True')];
    summarize(conds, t0, { kind: 'stalled', reason: Reason.StepFailed, message: 'x' });
    summarize(conds, t0 + 1000, idle);
    expect(find(conds, Cond.Stalled)).toBeUndefined();
  });
});

describe('setCondition', () => {
  it('keeps the transition time while the status stays, moves it when it changes', () => {
    const list: Condition[] = [];
    setCondition(list, t0, Cond.MembersReady, 'False', Reason.MembersNotReady, 'a');
    setCondition(list, t0 + 1000, Cond.MembersReady, 'False', Reason.MembersNotReady, 'b');
    expect(list[0]).toMatchObject({ message: 'b', lastTransitionTime: new Date(t0).toISOString() });
    setCondition(list, t0 + 2000, Cond.MembersReady, 'True', Reason.Succeeded, 'c');
    expect(list[0]?.lastTransitionTime).toBe(new Date(t0 + 2000).toISOString());
    expect(list).toHaveLength(1);
  });
});
