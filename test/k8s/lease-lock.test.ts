import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { Leadership } from '../../src/reconcile/persistence.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { leaseLock } from '../../src/runtime/kubernetes/lease-lock.js';
import { exited } from '../helpers/crash-runner.js';
import { startControlPlane, type ControlPlane } from '../helpers/kube-control-plane.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const holderMain = fileURLToPath(new URL('./fixtures/lease-holder.ts', import.meta.url));
const leaseName = 'dbops-test-leader';
const durationMs = 3000;
const retryMs = 300;

describe.skipIf(!bin)(`leader election on a Lease${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  const children: ChildProcess[] = [];
  const held: Leadership[] = [];
  const candidate = (identity: string) => {
    const { config } = loadKubeConfig({ kubeconfig: cp.kubeconfig });
    return leaseLock({
      api: kubeApis(config).coordination,
      namespace: 'default',
      name: leaseName,
      identity,
      clock: systemClock,
      log: silentLogger(),
      leaseDurationMs: durationMs,
      retryMs,
    });
  };
  const lease = async () =>
    JSON.parse(await cp.kubectl('get', 'lease', leaseName, '-o', 'json')) as {
      spec: { holderIdentity?: string; renewTime?: string; leaseTransitions?: number };
    };
  /** A candidate in its own process, resolved once it leads. */
  const holderProcess = async (identity: string) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', holderMain, cp.kubeconfig, identity],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (l) => l === 'leading' && resolve());
      child.once('exit', (code) => reject(new Error(`lease holder exited with ${code}`)));
    });
    return child;
  };

  beforeAll(async () => {
    cp = await startControlPlane(bin);
  });
  afterEach(async () => {
    for (const h of held.splice(0)) await h.release();
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    await cp.kubectl('delete', 'lease', leaseName, '--ignore-not-found');
  });
  afterAll(() => cp?.stop());

  it('one of two candidates leads; the other stands by while it renews, and takes over at once when it steps down', async () => {
    const a = await candidate('controller-a').acquire();
    held.push(a);
    const standby = new AbortController();
    let bLeads = false;
    const b = candidate('controller-b')
      .acquire(standby.signal)
      .then((l) => {
        bLeads = true;
        held.push(l);
        return l;
      });
    // Two renewals by a, each after b has looked at least once (b looks every retry period).
    const first = (await lease()).spec.renewTime;
    let seen = first;
    let renewals = 0;
    await waitFor(
      systemClock,
      'two renewals by controller-a',
      async () => {
        const l = await lease();
        expect(l.spec.holderIdentity).toBe('controller-a');
        if (l.spec.renewTime !== seen) {
          seen = l.spec.renewTime;
          renewals++;
        }
        return renewals >= 2 ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(bLeads).toBe(false);
    expect(a.lost.aborted).toBe(false);
    const t0 = systemClock.now();
    await a.release();
    held.splice(held.indexOf(a), 1);
    await b;
    const handover = systemClock.now() - t0;
    console.info(`handover after a release: ${handover} ms (lease ${durationMs} ms)`);
    expect(handover).toBeLessThan(durationMs);
    expect((await lease()).spec).toMatchObject({
      holderIdentity: 'controller-b',
      leaseTransitions: 1,
    });
  });

  it('takes over from a leader killed with kill -9 once its lease runs out, not before', async () => {
    const leader = await holderProcess('controller-a');
    const t0 = systemClock.now();
    leader.kill('SIGKILL');
    await exited(leader);
    const b = await candidate('controller-b').acquire();
    held.push(b);
    const took = systemClock.now() - t0;
    console.info(`takeover after kill -9 of the leader: ${took} ms (lease ${durationMs} ms)`);
    // A standby waits out a whole lease from when it first saw the last renewal.
    expect(took).toBeGreaterThanOrEqual(durationMs - retryMs);
    expect(took).toBeLessThan(durationMs + 4 * retryMs + 2000);
    expect((await lease()).spec.holderIdentity).toBe('controller-b');
  });

  it('tells the leader it lost the Lease when another holder wrote it, within a retry period', async () => {
    const a = await candidate('controller-a').acquire();
    held.push(a);
    const l = await lease();
    await cp.kubectl(
      'patch',
      'lease',
      leaseName,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { holderIdentity: 'intruder', renewTime: l.spec.renewTime } }),
    );
    await waitFor(
      systemClock,
      'controller-a to see the loss',
      () => (a.lost.aborted ? true : undefined),
      {
        timeoutMs: 5 * retryMs + 2000,
        intervalMs: 50,
      },
    );
    expect(String(a.lost.reason)).toMatch(/lost the leader Lease default\/dbops-test-leader/);
    expect((await lease()).spec.holderIdentity).toBe('intruder');
  });
});
