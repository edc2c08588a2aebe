import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from './cluster-nodes.js';
import type { MemberView } from './cluster-view.js';
import {
  failoverProblems,
  replicaLag,
  replicationState,
  type ReplicationState,
} from './failover.js';

describe('replicationState', () => {
  it.each<[string, Record<string, string>, ReplicationState]>([
    [
      'a master',
      { role: 'master', master_replid: 'r1', master_repl_offset: '1200', connected_slaves: '1' },
      { role: 'master', replid: 'r1', offset: 1200, linkUp: false },
    ],
    [
      'a replica streaming',
      {
        role: 'slave',
        master_replid: 'r1',
        master_link_status: 'up',
        master_sync_in_progress: '0',
        slave_repl_offset: '1100',
        master_repl_offset: '1100',
      },
      { role: 'replica', replid: 'r1', offset: 1100, linkUp: true },
    ],
    [
      'a replica in a full sync',
      {
        role: 'slave',
        master_replid: 'r0',
        master_link_status: 'down',
        master_sync_in_progress: '1',
      },
      { role: 'replica', replid: 'r0', offset: 0, linkUp: false },
    ],
  ])('%s', (_name, info, expected) => {
    expect(replicationState(info)).toEqual(expected);
  });
});

describe('replicaLag', () => {
  const master: ReplicationState = { role: 'master', replid: 'r1', offset: 5000, linkUp: false };
  const replica: ReplicationState = { role: 'replica', replid: 'r1', offset: 4000, linkUp: true };
  it.each<[string, ReplicationState, ReplicationState, number | undefined, object]>([
    ['behind by 1000 bytes', master, replica, undefined, { lagBytes: 1000 }],
    ['equal offsets', master, { ...replica, offset: 5000 }, undefined, { lagBytes: 0 }],
    ['past where the master was one poll earlier', master, replica, 3900, { lagBytes: 0 }],
    ['not yet past the earlier offset', master, replica, 4500, { lagBytes: 1000 }],
    [
      'link down',
      master,
      { ...replica, linkUp: false },
      undefined,
      { reason: 'the replica link is down or syncing' },
    ],
    [
      'another master',
      master,
      { ...replica, replid: 'r9' },
      undefined,
      { reason: 'the replica follows another master' },
    ],
    [
      'the replica is a master',
      master,
      { ...master },
      undefined,
      { reason: 'the replica reports role master' },
    ],
    [
      'the master is a replica',
      { ...replica },
      replica,
      undefined,
      { reason: 'the master reports role replica' },
    ],
  ])('%s', (_name, m, r, previous, expected) => {
    expect(replicaLag(m, r, previous)).toEqual(expected);
  });
});

const A = '127.0.0.1:7000@17000';
const B = '127.0.0.1:7001@17001';
function view(id: string, port: number, nodes: string[], masterLinkUp?: boolean): MemberView {
  return {
    member: { name: `m${port}`, shard: 0, ordinal: 0, host: '127.0.0.1', port },
    id,
    nodes: parseClusterNodes(nodes.join('\n')),
    clusterState: 'ok',
    masterLinkUp,
    keys: 0,
  };
}
const slots = [[0, 5460]] as const;

describe('failoverProblems (aaa was master, bbb takes over)', () => {
  const done = {
    nm: [
      'bbb ' + B + ' myself,master - 0 0 7 connected 0-5460',
      'aaa ' + A + ' slave bbb 0 0 7 connected',
    ],
    om: [
      'aaa ' + A + ' myself,slave bbb 0 0 7 connected',
      'bbb ' + B + ' master - 0 0 7 connected 0-5459 5460',
    ],
  };
  it.each<[string, MemberView, MemberView, string[]]>([
    [
      'complete, ranges split differently',
      view('bbb', 7001, done.nm),
      view('aaa', 7000, done.om, true),
      [],
    ],
    [
      'not started',
      view(
        'bbb',
        7001,
        [
          'bbb ' + B + ' myself,slave aaa 0 0 1 connected',
          'aaa ' + A + ' master - 0 0 1 connected 0-5460',
        ],
        true,
      ),
      view('aaa', 7000, [
        'aaa ' + A + ' myself,master - 0 0 1 connected 0-5460',
        'bbb ' + B + ' slave aaa 0 0 1 connected',
      ]),
      [
        'the replica is not master yet',
        'the old master is not a replica yet',
        '127.0.0.1:7001 sees slots none on the new master',
        '127.0.0.1:7001 does not see the old master as a replica of the new one',
        '127.0.0.1:7000 sees slots none on the new master',
        '127.0.0.1:7000 does not see the old master as a replica of the new one',
      ],
    ],
    [
      'promoted, old master not told yet',
      view('bbb', 7001, done.nm),
      view('aaa', 7000, [
        'aaa ' + A + ' myself,master - 0 0 1 connected 0-5460',
        'bbb ' + B + ' slave aaa 0 0 1 connected',
      ]),
      [
        'the old master is not a replica yet',
        '127.0.0.1:7000 sees slots none on the new master',
        '127.0.0.1:7000 does not see the old master as a replica of the new one',
      ],
    ],
    [
      'old master link still down',
      view('bbb', 7001, done.nm),
      view('aaa', 7000, done.om, false),
      ['the old master link is not up'],
    ],
    [
      'a view that misses a member',
      view('bbb', 7001, [done.nm[0] ?? '']),
      view('aaa', 7000, done.om, true),
      ['127.0.0.1:7001 does not know both members'],
    ],
  ])('%s', (_name, nm, om, expected) => {
    expect(failoverProblems(nm, om, slots)).toEqual(expected);
  });
});
