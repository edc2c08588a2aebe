import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseClients, memberProber } from '../../src/main.js';
import { ManualClock, systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { Controller } from '../../src/reconcile/controller.js';
import { fileStateStore } from '../../src/reconcile/persistence.js';
import { createLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import type { Snapshot, Source } from '../../src/source/source.js';

/**
 * A refresh() that arrives while a round runs (a webhook, the autoscaler's own commit) must
 * start the next round at once, not after the poll interval: the controller's run loop on a
 * manual clock that never moves, with a real local runtime holding no database.
 */
describe('controller: a refresh during a round is not lost', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dbops-refresh-'));
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('fetches again without the clock moving when refresh() came in mid-round', async () => {
    const clock = new ManualClock();
    const fetches: (() => void)[] = [];
    const source: Source = {
      description: 'a source whose fetches wait to be released',
      fetch: () =>
        new Promise<Snapshot>((resolve) =>
          fetches.push(() =>
            resolve({ revision: 'a'.repeat(40), files: [], fetchedAt: clock.now() }),
          ),
        ),
      commit: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    const log = silentLogger();
    const runtime = await createLocalRuntime({ stateDir, clock, log, prober: memberProber });
    const controller = await Controller.open({
      source,
      runtime,
      clients: databaseClients,
      clock,
      log,
      store: fileStateStore(stateDir),
      intervalMs: 60_000,
    });
    const stop = new AbortController();
    const loop = controller.run(stop.signal);
    // Waits on the real clock (with a deadline) for the controller, whose clock stands still.
    const fetchNumber = (n: number) =>
      waitFor(
        systemClock,
        `fetch number ${n}`,
        () => (fetches.length >= n ? fetches.length : undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 5,
        },
      ).catch(() => fetches.length);
    try {
      expect(await fetchNumber(1)).toBe(1);
      controller.refresh(); // while the first round is still fetching
      fetches[0]!();
      expect(await fetchNumber(2)).toBe(2);
      fetches[1]!();
    } finally {
      stop.abort();
      controller.refresh();
      for (const f of fetches.slice(2)) f();
      await loop;
      await controller.close();
      await runtime.close({ stopMembers: false });
    }
  });
});
