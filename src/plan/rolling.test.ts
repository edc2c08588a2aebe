import { describe, expect, it } from 'vitest';
import { actionName, rollingPlan, type RollingMember } from './rolling.js';

const m = (name: string, shard: number, role: string): RollingMember => ({ name, shard, role });

describe('rollingPlan', () => {
  const cases: { name: string; members: RollingMember[]; failover: boolean; want: string[] }[] = [
    {
      name: 'redis cluster: replicas first, then each master after a failover to its replica',
      members: [
        m('c-shard0-0', 0, 'master'),
        m('c-shard0-1', 0, 'replica'),
        m('c-shard1-0', 1, 'master'),
        m('c-shard1-1', 1, 'replica'),
      ],
      failover: true,
      want: [
        'cycle:c-shard0-1',
        'cycle:c-shard1-1',
        'failover:shard0:c-shard0-1',
        'cycle:c-shard0-0',
        'failover:shard1:c-shard1-1',
        'cycle:c-shard1-0',
      ],
    },
    {
      name: 'after an earlier failover the roles, not the ordinals, decide',
      members: [m('c-shard0-0', 0, 'replica'), m('c-shard0-1', 0, 'master')],
      failover: true,
      want: ['cycle:c-shard0-0', 'failover:shard0:c-shard0-0', 'cycle:c-shard0-1'],
    },
    {
      name: 'a shard without a replica is cycled in place',
      members: [m('c-shard0-0', 0, 'master')],
      failover: true,
      want: ['cycle:c-shard0-0'],
    },
    {
      name: 'without failover the master is cycled after its replica',
      members: [m('c-shard0-0', 0, 'master'), m('c-shard0-1', 0, 'replica')],
      failover: false,
      want: ['cycle:c-shard0-1', 'cycle:c-shard0-0'],
    },
    {
      name: 'postgres: standbys first, then the primary, never a failover',
      members: [m('pg-0', 0, 'primary'), m('pg-1', 0, 'standby'), m('pg-2', 0, 'standby')],
      failover: true,
      want: ['cycle:pg-1', 'cycle:pg-2', 'cycle:pg-0'],
    },
    { name: 'standalone', members: [m('s-0', 0, 'master')], failover: true, want: ['cycle:s-0'] },
  ];
  it.each(cases)('$name', ({ members, failover, want }) => {
    expect(rollingPlan(members, { failover }).map(actionName)).toEqual(want);
  });
});
