import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import type { DatabaseSpec } from '../../src/api/desired.js';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { memberProber } from '../../src/main.js';
import { localHarness, type ContractHarness } from './harness.js';
import { processesMentioning, redisClient, releaseLoops, waitRunning } from './helpers.js';
import { redisSpec } from './specs.js';

describe('local runtime, day-2 details', () => {
  let stateDir = '';
  let rt: LocalRuntime;
  const memberDir = (db: string, m: string) => join(stateDir, 'runtime', db, 'members', m);

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dbops-local2-'));
    await chmod(stateDir, 0o755);
    rt = await createLocalRuntime({
      stateDir,
      clock: systemClock,
      log: silentLogger(),
      prober: memberProber,
      volumes: 'directory',
    });
  });

  afterAll(async () => {
    await rt?.close({ stopMembers: true });
    if (stateDir) {
      for (const pid of await processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
      await releaseLoops(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('writeConfig rewrites only files whose content changed', async () => {
    const spec = redisSpec('cfg');
    await rt.ensureMembers(spec, topology(spec));
    const file = join(memberDir('cfg', 'cfg-0'), 'redis.conf');
    const first = await stat(file);
    await rt.writeConfig(spec);
    expect((await stat(file)).mtimeMs).toBe(first.mtimeMs);
    expect((await stat(file)).ino).toBe(first.ino);
    await rt.writeConfig({ ...spec, config: { 'maxmemory-policy': 'allkeys-lru' } });
    expect(await readFile(file, 'utf8')).toContain('maxmemory-policy allkeys-lru');
    expect((await stat(file)).ino).not.toBe(first.ino);
  });

  it('stops a Redis that is writing its first AOF by sending SIGTERM again', async () => {
    // Started without AOF and filled, then switched on: Redis 7.0 ignores a SIGTERM while it
    // writes the initial AOF ("Writing initial AOF, can't exit"); one SIGTERM would leave it
    // running until the SIGKILL 30 s later, without a clean shutdown.
    const spec = redisSpec('aof', {
      config: { appendonly: 'no', save: '' },
    });
    await rt.ensureMembers(spec, topology(spec));
    const m = (await waitRunning(rt, 'aof')).members[0]!;
    const r = await redisClient(m.endpoint.port, (await rt.credentials('aof'))!.password);
    try {
      // 500,000 keys of 100 bytes in MSET batches (DEBUG POPULATE needs enable-debug-command,
      // which manifests may not set).
      const value = 'v'.repeat(100);
      for (let b = 0; b < 500; b++) {
        const args = Array.from({ length: 1000 }, (_, i) => [`key:${b * 1000 + i}`, value]).flat();
        await r.call('MSET', ...args);
      }
      await r.call('CONFIG', 'SET', 'appendonly', 'yes');
    } finally {
      r.disconnect();
    }
    const t0 = systemClock.now();
    await rt.stopMember('aof', 'aof-0');
    const took = systemClock.now() - t0;
    console.info(`stop during the initial AOF rewrite: ${took} ms`);
    const log = await readFile(join(memberDir('aof', 'aof-0'), 'server.log'), 'utf8');
    expect(log).toContain("Writing initial AOF, can't exit");
    expect(log).toContain('ready to exit, bye bye');
  });
});

// Local only: a process can be held down on purpose, which a StatefulSet's ordinal cannot.
describe('local runtime, members stopped on purpose', () => {
  let h: ContractHarness & { runtime: LocalRuntime };
  let rt: LocalRuntime;
  const ensure = (spec: DatabaseSpec) => rt.ensureMembers(spec, topology(spec));

  beforeAll(async () => {
    h = await localHarness((stateDir) =>
      createLocalRuntime({
        stateDir,
        clock: systemClock,
        log: silentLogger(),
        prober: memberProber,
      }),
    );
    rt = h.runtime;
    await ensure(redisSpec('kv'));
    await ensure(redisSpec('ctl'));
  });

  afterAll(() => h?.cleanup());

  it('stopMember keeps a member down until startMember, which brings it back with data', async () => {
    const before = (await waitRunning(rt, 'kv')).members[0]!;
    const { password } = (await rt.credentials('kv'))!;
    const r = await redisClient(before.endpoint.port, password);
    await r.set('kept', 'yes');
    r.disconnect();
    await rt.stopMember('kv', 'kv-0');
    await rt.stopMember('kv', 'kv-0'); // idempotent
    // A crash of another member is repaired by the supervisor meanwhile: it polls and
    // restarts, yet the member stopped on purpose stays down.
    const ctl = (await waitRunning(rt, 'ctl')).members[0]!;
    process.kill(Number(ctl.instance), 'SIGKILL');
    await waitFor(
      systemClock,
      'the supervisor to restart ctl-0',
      async () => {
        const m = (await rt.observe('ctl'))?.members[0];
        return m?.running && m.instance !== ctl.instance ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const stopped = (await rt.observe('kv'))!.members[0]!;
    expect(stopped.running).toBe(false);
    expect(stopped.instance).toBeUndefined();
    expect(() => process.kill(Number(before.instance), 0)).toThrow();
    await rt.startMember('kv', 'kv-0');
    const after = (await rt.observe('kv'))!.members[0]!;
    expect(after.running).toBe(true);
    expect(after.instance).not.toBe(before.instance);
    const r2 = await redisClient(after.endpoint.port, password);
    try {
      expect(await r2.get('kept')).toBe('yes');
    } finally {
      r2.disconnect();
    }
    // Supervised again: a crash now is repaired.
    process.kill(Number(after.instance), 'SIGKILL');
    await waitFor(
      systemClock,
      'kv-0 restarted by the supervisor',
      async () => {
        const m = (await rt.observe('kv'))?.members[0];
        return m?.running && m.instance !== after.instance ? m : undefined;
      },
      { timeoutMs: 30_000 },
    );
  });

  it('ensureMembers starts a member left stopped by an operation', async () => {
    await rt.stopMember('ctl', 'ctl-0');
    expect((await rt.observe('ctl'))!.members[0]!.running).toBe(false);
    await ensure(redisSpec('ctl'));
    expect((await rt.observe('ctl'))!.members[0]!.running).toBe(true);
  });
});
