import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import { createLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { memberProber } from '../../src/main.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { processesMentioning, redisClient, releaseLoops, waitRunning } from './helpers.js';
import { redisSpec } from './specs.js';

describe('local runtime after the controller is killed with kill -9', () => {
  let stateDir = '';
  let controller: ChildProcess | undefined;
  let rt: Runtime | undefined;

  afterAll(async () => {
    controller?.kill('SIGKILL');
    await rt?.close({ stopMembers: true });
    if (stateDir) {
      // Safety net: nothing this suite started may outlive it, even after a failed test.
      for (const pid of await processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
      await releaseLoops(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('leaves members running, and the next controller adopts and supervises them', async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dbops-crash-'));
    await chmod(stateDir, 0o755);
    const fixture = join(import.meta.dirname, 'fixtures', 'controller.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, stateDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    controller = child;
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`controller exited with ${code}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await waitFor(
      systemClock,
      'controller gone',
      () => (child.exitCode !== null || child.signalCode ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    expect(() => process.kill(pid, 0)).not.toThrow();

    rt = await createLocalRuntime({
      stateDir,
      clock: systemClock,
      log: silentLogger(),
      prober: memberProber,
    });
    const spec = redisSpec('survivor');
    await rt.ensureMembers(spec, topology(spec));
    const o = await waitRunning(rt, 'survivor');
    expect(o.members[0]?.instance).toBe(String(pid));
    expect(await processesMentioning(stateDir)).toEqual([pid]);
    const { password } = (await rt.credentials('survivor'))!;
    const r = await redisClient(o.members[0]!.endpoint.port, password);
    expect(await r.ping()).toBe('PONG');
    r.disconnect();

    process.kill(pid, 'SIGKILL');
    const back = await waitFor(
      systemClock,
      'adopted member restarted',
      async () => {
        const m = (await rt!.observe('survivor'))?.members[0];
        return m?.running && m.instance !== String(pid) ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(back.restarts).toBe(1);
    expect(await processesMentioning(stateDir)).toEqual([Number(back.instance)]);
  });
});
