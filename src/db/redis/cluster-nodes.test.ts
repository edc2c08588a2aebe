import { describe, expect, it } from 'vitest';
import { parseClusterNodes, parseInfo } from './cluster-nodes.js';

const text = [
  'aaa 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 5461 [5462->-bbb]',
  'bbb 127.0.0.1:7001@17001,host-b slave aaa 0 1426238317239 1 connected',
  'ccc :0@0 master,fail,noaddr - 1 2 3 disconnected',
  'garbage',
  '',
].join('\n');

describe('parseClusterNodes', () => {
  it('reads ids, addresses, flags, masters, epochs and slots, skipping migration markers', () => {
    expect(parseClusterNodes(text)).toEqual([
      {
        id: 'aaa',
        host: '127.0.0.1',
        port: 7000,
        flags: ['myself', 'master'],
        masterId: null,
        configEpoch: 1,
        linkState: 'connected',
        slots: [
          [0, 5460],
          [5461, 5461],
        ],
      },
      {
        id: 'bbb',
        host: '127.0.0.1',
        port: 7001,
        flags: ['slave'],
        masterId: 'aaa',
        configEpoch: 1,
        linkState: 'connected',
        slots: [],
      },
      {
        id: 'ccc',
        host: '',
        port: 0,
        flags: ['master', 'fail', 'noaddr'],
        masterId: null,
        configEpoch: 3,
        linkState: 'disconnected',
        slots: [],
      },
    ]);
  });
});

describe('parseInfo', () => {
  it('reads key:value lines and skips section headers', () => {
    expect(parseInfo('# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n\r\n')).toEqual({
      role: 'slave',
      master_link_status: 'up',
    });
  });
});
