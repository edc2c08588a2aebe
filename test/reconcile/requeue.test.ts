import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codes, stalled, transient, waiting } from '../../src/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { Controller, type ControllerDeps } from '../../src/reconcile/controller.js';
import { fileStateStore } from '../../src/reconcile/persistence.js';
import {
  finished,
  type MemberPlan,
  type ObservedDatabase,
  type Progress,
  type Runtime,
} from '../../src/runtime/runtime.js';
import type { Source } from '../../src/source/source.js';
import { redisStandalone } from '../helpers/manifests.js';

// The controller's retry of a failed reconcile, on a manual clock: a stub runtime whose
// ensureMembers throws the scripted error once, a source with one standalone Redis. The state
// dir is a temporary directory (the controller persists its status there).

const intervalMs = 60_000;
const credentials = { username: 'default', password: 'secret' };
const notUsed = () => Promise.reject(new Error('not used by this test'));

/** A runtime that fails `ensureMembers` once with `failure`, then runs the planned members. */
function scriptedRuntime(failure: Error | Progress) {
  const running = new Map<string, MemberPlan[]>();
  const calls: number[] = [];
  let called: (() => void) | undefined;
  const observe = (database: string): ObservedDatabase | undefined => {
    const members = running.get(database);
    return members === undefined
      ? undefined
      : {
          name: database,
          kind: 'Redis',
          halted: false,
          notes: [],
          members: members.map((m) => ({
            name: m.name,
            shard: m.shard,
            ordinal: m.ordinal,
            role: m.role,
            endpoint: { host: '127.0.0.1', port: 6379 },
            running: true,
            restarts: 0,
            volume: { type: 'directory', capacityBytes: 1 << 30, usedBytes: 0 },
          })),
        };
  };
  const runtime: Runtime = {
    kind: 'local',
    list: () => Promise.resolve([...running.keys()]),
    observe: (database) => Promise.resolve(observe(database)),
    volumeUsage: () => Promise.resolve([]),
    ensureCredentials: () => Promise.resolve(credentials),
    credentials: () => Promise.resolve(credentials),
    ensureMembers: (spec, members) => {
      calls.push(calls.length);
      called?.();
      if (calls.length === 1) {
        // A runtime's waiting Progress is an answer, not an error.
        return 'done' in failure ? Promise.resolve(failure) : Promise.reject(failure);
      }
      running.set(spec.name, members);
      return Promise.resolve(finished());
    },
    restartMember: notUsed,
    validateConfig: notUsed,
    writeConfig: notUsed,
    expandVolume: notUsed,
    finishVolumeExpansion: notUsed,
    halt: notUsed,
    wipe: notUsed,
    subscribe: () => () => undefined,
    close: () => Promise.resolve(),
  };
  return {
    runtime,
    calls: () => calls.length,
    /** Resolves on the next ensureMembers call. */
    nextCall: () => new Promise<void>((resolve) => (called = resolve)),
  };
}

describe('controller: the retry of a failed reconcile follows retryOf', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dbops-requeue-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it.each([
    {
      name: 'waiting(2000): reconciled again after 2 s of clock time, not after the poll interval',
      failure: waiting(codes.replicationFailed, 'the primary is starting', 2000),
      retriedAfterMs: 2000,
      fetches: 1,
      first: { phase: 'Provisioning', reconciling: 'Retrying', stalled: false },
    },
    {
      name: 'ensureMembers answers waiting (members coming up): reconciled again after its 1.5 s',
      failure: { done: false, waiting: 'pods are being scheduled', retryAfterMs: 1500 } as Progress,
      retriedAfterMs: 1500,
      fetches: 1,
      first: { phase: 'Provisioning', reconciling: 'Retrying', stalled: false },
    },
    {
      name: 'transient: tried again on the next poll',
      failure: transient(codes.portsExhausted, 'no free port found on 127.0.0.1'),
      retriedAfterMs: intervalMs,
      fetches: 2,
      first: { phase: 'Provisioning', reconciling: 'Retrying', stalled: false },
    },
    {
      name: 'stalled: Stalled until the next poll tries again',
      failure: stalled(codes.prerequisite, 'no working redis server found'),
      retriedAfterMs: intervalMs,
      fetches: 2,
      first: { phase: 'Failed', reconciling: 'StepFailed', stalled: true },
    },
    {
      name: 'an error without retry meaning is stalled (retryOf default)',
      failure: new TypeError("Cannot read properties of undefined (reading 'port')"),
      retriedAfterMs: intervalMs,
      fetches: 2,
      first: { phase: 'Failed', reconciling: 'StepFailed', stalled: true },
    },
  ])('$name', async ({ failure, retriedAfterMs, fetches, first }) => {
    const clock = new ManualClock();
    const yaml = redisStandalone('cache');
    let fetched = 0;
    const source: Source = {
      description: 'test source',
      fetch: () => {
        fetched++;
        return Promise.resolve({
          revision: 'a'.repeat(40),
          files: [{ path: 'databases/cache.yaml', size: yaml.length, content: yaml }],
          fetchedAt: clock.now(),
        });
      },
      commit: notUsed,
      close: () => Promise.resolve(),
    };
    const rt = scriptedRuntime(failure);
    const deps: ControllerDeps = {
      source,
      runtime: rt.runtime,
      clients: {} as ControllerDeps['clients'], // a standalone Redis needs no client here
      clock,
      log: silentLogger(),
      store: fileStateStore(stateDir),
      intervalMs,
    };
    const controller = await Controller.open(deps);
    const stop = new AbortController();
    const firstCall = rt.nextCall();
    const loop = controller.run(stop.signal);
    try {
      await firstCall;
      await controller.idle();
      const cache = () => controller.status().databases.find((d) => d.name === 'cache');
      const cond = (type: string) => cache()?.conditions.find((c) => c.type === type);
      expect(cache()?.phase).toBe(first.phase);
      expect(cond('Reconciling')?.reason).toBe(first.reconciling);
      expect(cond('Stalled') !== undefined).toBe(first.stalled);

      clock.advance(retriedAfterMs - 1);
      await controller.idle();
      expect(rt.calls()).toBe(1);

      const secondCall = rt.nextCall();
      clock.advance(1);
      await secondCall;
      await controller.idle();
      expect(rt.calls()).toBe(2);
      expect(fetched).toBe(fetches);
      expect(cache()?.phase).toBe('Ready');
      expect(cond('Reconciling')).toMatchObject({ status: 'False', reason: 'Succeeded' });
      expect(cond('Stalled')).toBeUndefined();
    } finally {
      stop.abort();
      controller.refresh(); // the manual clock ignores the signal: wake the loop to see it
      await loop;
      await controller.close();
    }
  });
});
