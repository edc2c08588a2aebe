import { describe, expect, it } from 'vitest';
import type { ClusterNode } from './cluster-nodes.js';
import { planCluster, type ClusterAction } from './cluster-plan.js';
import type { ClusterMember, MemberView } from './cluster-view.js';

/** A member as the test sets it up: its truth, and what it knows of the others. */
interface Fake {
  master?: string;
  slots?: [number, number][];
  epoch?: number;
  keys?: number;
  linkUp?: boolean;
  /** Names it knows; default everyone. */
  knows?: string[];
  /** Lines it lists besides the members (old ids). */
  extra?: ClusterNode[];
  /** Port the others list it at, when it moved. */
  seenAtPort?: number;
  replicatesFromPort?: number;
  down?: boolean;
}

const names = ['c-shard0-0', 'c-shard0-1', 'c-shard1-0', 'c-shard1-1', 'c-shard2-0', 'c-shard2-1'];
const members: ClusterMember[] = names.map((name, i) => ({
  name,
  shard: Math.floor(i / 2),
  ordinal: i % 2,
  host: '10.0.0.1',
  port: 7000 + i,
}));
const id = (name: string) => `id-${name}`;
const port = (name: string) => members.find((m) => m.name === name)?.port ?? 0;

function line(name: string, f: Fake, me: boolean, p = port(name)): ClusterNode {
  return {
    id: id(name),
    host: '10.0.0.1',
    port: p,
    flags: [...(me ? ['myself'] : []), f.master ? 'slave' : 'master'],
    masterId: f.master ? id(f.master) : null,
    configEpoch: f.epoch ?? 0,
    linkState: 'connected',
    slots: f.slots ?? [],
  };
}

function views(fakes: Record<string, Fake>): MemberView[] {
  const get = (n: string): Fake => fakes[n] ?? {};
  return members
    .filter((m) => !get(m.name).down)
    .map((m) => {
      const f = get(m.name);
      const known = (f.knows ?? names).filter((n) => n !== m.name);
      return {
        member: m,
        id: id(m.name),
        nodes: [
          line(m.name, f, true),
          ...known.map((n) => line(n, get(n), false, get(n).seenAtPort)),
          ...(f.extra ?? []),
        ],
        clusterState: 'ok',
        masterLinkUp: f.master ? (f.linkUp ?? true) : undefined,
        replicatesFrom: f.master
          ? { host: '10.0.0.1', port: f.replicatesFromPort ?? port(f.master) }
          : undefined,
        keys: f.keys ?? 0,
      };
    });
}

const healthy: Record<string, Fake> = {
  'c-shard0-0': { slots: [[0, 5461]], epoch: 1 },
  'c-shard0-1': { master: 'c-shard0-0', epoch: 1 },
  'c-shard1-0': { slots: [[5462, 10922]], epoch: 2 },
  'c-shard1-1': { master: 'c-shard1-0', epoch: 2 },
  'c-shard2-0': { slots: [[10923, 16383]], epoch: 3 },
  'c-shard2-1': { master: 'c-shard2-0', epoch: 3 },
};
const alone = Object.fromEntries(names.map((n) => [n, { knows: [] }]));
const withShard = (over: Record<string, Fake>) => ({ ...healthy, ...over });
const oldId: ClusterNode = {
  id: 'old',
  host: '',
  port: 0,
  flags: ['master', 'fail', 'noaddr'],
  masterId: null,
  configEpoch: 0,
  linkState: 'disconnected',
  slots: [],
};
const meetsFrom = (on: string, targets: string[]): ClusterAction[] =>
  targets.map((t) => ({ type: 'meet', on, target: t, host: '10.0.0.1', port: port(t) }));
const rep = (on: string, master: string): ClusterAction => ({
  type: 'replicate',
  on,
  master,
  masterId: id(master),
});

describe('planCluster', () => {
  it.each<[string, Record<string, Fake>, ClusterAction[]]>([
    [
      'fresh: epochs and slots on ordinal 0, every member met from one node, no replicas yet',
      alone,
      [
        { type: 'set-epoch', on: 'c-shard0-0', epoch: 1 },
        { type: 'set-epoch', on: 'c-shard1-0', epoch: 2 },
        { type: 'set-epoch', on: 'c-shard2-0', epoch: 3 },
        { type: 'add-slots', on: 'c-shard0-0', ranges: [[0, 5461]] },
        { type: 'add-slots', on: 'c-shard1-0', ranges: [[5462, 10922]] },
        { type: 'add-slots', on: 'c-shard2-0', ranges: [[10923, 16383]] },
        ...meetsFrom('c-shard0-0', names.slice(1)),
      ],
    ],
    [
      'met, slots assigned: the other members replicate their shard master',
      withShard({ 'c-shard0-1': {}, 'c-shard1-1': {}, 'c-shard2-1': {} }),
      [
        rep('c-shard0-1', 'c-shard0-0'),
        rep('c-shard1-1', 'c-shard1-0'),
        rep('c-shard2-1', 'c-shard2-0'),
      ],
    ],
    ['healthy: nothing', healthy, []],
    [
      'after a failover ordinal 1 owns the slots and ordinal 0 is its replica: nothing',
      withShard({
        'c-shard0-0': { master: 'c-shard0-1', epoch: 7 },
        'c-shard0-1': { slots: [[0, 5461]], epoch: 7 },
      }),
      [],
    ],
    [
      'a failed-over master back as an empty master replicates the new master',
      withShard({ 'c-shard0-0': {}, 'c-shard0-1': { slots: [[0, 5461]], epoch: 7 } }),
      [rep('c-shard0-0', 'c-shard0-1')],
    ],
    [
      'crash mid-creation: one shard assigned, one meet: the rest assigned, met from the best-informed',
      {
        'c-shard0-0': { slots: [[0, 5461]], knows: ['c-shard1-0'] },
        'c-shard1-0': { knows: ['c-shard0-0'] },
        ...Object.fromEntries(
          names
            .slice(1)
            .filter((n) => n !== 'c-shard1-0')
            .map((n) => [n, { knows: [] }]),
        ),
      },
      [
        { type: 'add-slots', on: 'c-shard1-0', ranges: [[5462, 10922]] },
        { type: 'add-slots', on: 'c-shard2-0', ranges: [[10923, 16383]] },
        ...meetsFrom('c-shard0-0', ['c-shard0-1', 'c-shard1-1', 'c-shard2-0', 'c-shard2-1']),
      ],
    ],
    [
      'a replica on the wrong shard goes back to its own master',
      withShard({ 'c-shard1-1': { master: 'c-shard2-0' } }),
      [rep('c-shard1-1', 'c-shard1-0')],
    ],
    [
      "a replica still pointing at its master's old port re-replicates",
      withShard({
        'c-shard2-1': { master: 'c-shard2-0', linkUp: false, replicatesFromPort: 6000 },
      }),
      [rep('c-shard2-1', 'c-shard2-0')],
    ],
    [
      'an old failed id without slots is forgotten on every member that lists it',
      withShard({
        'c-shard0-0': { slots: [[0, 5461]], epoch: 1, extra: [oldId] },
        'c-shard2-1': { master: 'c-shard2-0', extra: [oldId] },
      }),
      [
        { type: 'forget', on: 'c-shard0-0', nodeId: 'old' },
        { type: 'forget', on: 'c-shard2-1', nodeId: 'old' },
      ],
    ],
  ])('%s', (_, fakes, expected) => {
    expect(planCluster(members, views(fakes)).actions).toEqual(expected);
  });

  it('reports a healthy cluster as converged, with its masters', () => {
    const plan = planCluster(members, views(healthy));
    expect(plan).toMatchObject({ converged: true, fresh: false, waiting: [], problems: [] });
    expect([...plan.masters.values()]).toEqual(['c-shard0-0', 'c-shard1-0', 'c-shard2-0']);
  });

  it('meets a member that moved to a new port from every node that lists the old one', () => {
    const fakes = withShard({
      'c-shard1-0': { slots: [[5462, 10922]], epoch: 2, seenAtPort: 6999 },
    });
    const actions = planCluster(members, views(fakes)).actions;
    expect(actions).toEqual(
      meetsFrom('c-shard0-0', ['c-shard1-0']).concat(
        ['c-shard0-1', 'c-shard1-1', 'c-shard2-0', 'c-shard2-1'].flatMap((n) =>
          meetsFrom(n, ['c-shard1-0']),
        ),
      ),
    );
  });

  it('forgets nothing and waits while a member is unreachable', () => {
    const fakes = withShard({
      'c-shard0-0': { slots: [[0, 5461]], epoch: 1, extra: [oldId] },
      'c-shard2-1': { down: true },
    });
    const plan = planCluster(members, views(fakes));
    expect(plan.actions).toEqual([]);
    expect(plan.waiting).toContain('c-shard2-1 is unreachable');
    expect(plan.converged).toBe(false);
  });

  it('never moves slots another shard owns, and never forgets a failed node that owns slots', () => {
    const owner: ClusterNode = { ...oldId, slots: [[10923, 16383]] };
    const fakes = withShard({
      'c-shard1-0': {
        slots: [
          [5462, 10922],
          [0, 10],
        ],
        epoch: 9,
      },
      'c-shard2-0': { knows: names, extra: [owner] },
    });
    const plan = planCluster(
      members,
      views({ ...fakes, 'c-shard2-0': { ...fakes['c-shard2-0'], slots: [], extra: [owner] } }),
    );
    expect(plan.actions.filter((a) => a.type === 'add-slots' || a.type === 'forget')).toEqual([]);
    expect(plan.problems.join('\n')).toMatch(/11 slots of shard 0 .* belong to c-shard1-0/);
    expect(plan.problems.join('\n')).toMatch(/belong to node old/);
  });

  it('refuses to turn a master with keys and no slots into a replica', () => {
    const plan = planCluster(members, views(withShard({ 'c-shard0-1': { keys: 3 } })));
    expect(plan.actions).toEqual([]);
    expect(plan.problems.join('\n')).toMatch(/c-shard0-1 is a master without slots holding 3 keys/);
  });
});
