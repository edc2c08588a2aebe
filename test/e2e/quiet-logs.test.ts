import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { captureLog, infoLevel, type LogLine } from '../helpers/log-lines.js';
import { redisCluster, redisStandalone } from '../helpers/manifests.js';

// Info is for changes (a member started, an operation step, a revision applied); the checks
// a steady controller repeats every round log at debug.
describe('a quiet controller logs nothing at info', () => {
  const capture = captureLog();
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv(
      {
        'databases/cache.yaml': redisCluster('cache', { shards: 3, replicas: 2 }),
        'databases/session.yaml': redisStandalone('session', { config: 'maxmemory 32mb' }),
        'databases/paused.yaml': redisStandalone('paused').replace(
          'deletionPolicy',
          'halted: true\n  deletionPolicy',
        ),
      },
      { log: capture.log },
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('writes no info line in rounds where nothing changes', async () => {
    await env.until('the cluster and the standalone Redis ready, the halted one halted', (s) =>
      s.databases.every((d) => d.phase === (d.name === 'paused' ? 'Halted' : 'Ready')),
    );
    // The rounds that made them ready did log their changes at info.
    const setup = capture.lines();
    expect(setup.some((l) => l.level === infoLevel && l.msg === 'member started')).toBe(true);
    expect(setup.some((l) => l.level === infoLevel && l.msg === 'spec.halted is true')).toBe(true);

    const mark = setup.length;
    let status = await env.converge();
    for (let round = 1; round < 6; round++) status = await env.converge();
    expect(db(status, 'cache').phase).toBe('Ready');
    expect(db(status, 'session').phase).toBe('Ready');
    expect(db(status, 'paused').phase).toBe('Halted');

    const quiet = capture.lines().slice(mark);
    const loud = quiet.filter((l: LogLine) => l.level >= infoLevel);
    expect(loud.map((l) => `${l.msg} ${JSON.stringify(l)}`)).toEqual([]);
    // The steady-state checks are still there, at debug.
    expect(quiet.some((l) => l.msg === 'redis cluster ok')).toBe(true);
    expect(quiet.some((l) => l.msg === 'spec.halted is true')).toBe(true);
  });
});
