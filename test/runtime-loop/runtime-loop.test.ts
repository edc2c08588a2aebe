import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../../src/api/desired.js';
import { readJson } from '../../src/platform/files.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import type { MemberFile } from '../../src/runtime/local/layout.js';
import { createLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { memberProber } from '../../src/main.js';
import { probeLoopSupport, unmountLoopVolume } from '../../src/runtime/local/loop-volume.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import {
  loopDevicesUnder,
  mountsUnder,
  pgQuery,
  processesMentioning,
  redisClient,
  releaseLoops,
  waitRunning,
} from '../runtime/helpers.js';
import { postgresSpec, redisSpec } from '../runtime/specs.js';
import { df, isMounted } from './helpers.js';

const MIB = 1024 * 1024;
const support = await probeLoopSupport({ scratchDir: tmpdir() });

describe.skipIf(!support.supported)(
  `local runtime on loop volumes (${support.reason ?? support.fs})`,
  () => {
    let stateDir = '';
    let rt: Runtime;
    const make = () =>
      createLocalRuntime({
        stateDir,
        clock: systemClock,
        log: silentLogger(),
        prober: memberProber,
        volumes: 'loop',
      });
    const ensure = (spec: DatabaseSpec) => rt.ensureMembers(spec, topology(spec));
    const memberDir = (db: string, m: string) => join(stateDir, 'runtime', db, 'members', m);
    const pg = postgresSpec('ledger', { replicas: 2, storageBytes: 400 * MIB });
    const kv = redisSpec('kv', { storageBytes: 300 * MIB });

    beforeAll(async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'dbops-rtloop-'));
      await chmod(stateDir, 0o755);
      rt = await make();
    });

    afterAll(async () => {
      await rt?.close({ stopMembers: true });
      if (stateDir) {
        for (const pid of await processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
        await releaseLoops(stateDir);
        await rm(stateDir, { recursive: true, force: true });
      }
    });

    it('runs a Postgres primary and standby with their data inside mounted images', async () => {
      await ensure(pg);
      const o = await waitRunning(rt, 'ledger', 60_000);
      for (const m of o.members) {
        const mp = join(memberDir('ledger', m.name), 'volume');
        expect(await isMounted(mp)).toBe(true);
        await access(join(mp, 'data', 'PG_VERSION'));
        expect(m.volume).toMatchObject({ type: 'loop', path: mp });
        expect(m.volume.capacityBytes).toBe((await df(mp)).size);
        expect(m.volume.capacityBytes).toBeGreaterThan(300 * MIB);
        const mf = await readJson<MemberFile>(join(memberDir('ledger', m.name), 'member.json'));
        expect(mf?.volumeType).toBe('loop');
      }
    });

    it('grows the primary online while a client keeps writing', async () => {
      const { password } = (await rt.credentials('ledger'))!;
      const before = (await rt.observe('ledger'))!.members;
      const port = before[0]!.endpoint.port;
      await pgQuery(port, password, 'create table w (i int)');
      let n = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) await pgQuery(port, password, `insert into w values (${++n})`);
      })();
      try {
        await waitFor(systemClock, 'some writes', () => (n > 20 ? true : undefined), {
          timeoutMs: 20_000,
          intervalMs: 10,
        });
        const t0 = systemClock.now();
        for (const m of before) await rt.expandVolume('ledger', m.name, 800 * MIB, 'Online');
        console.info(`expandVolume x2 (Postgres, 400->800 MiB): ${systemClock.now() - t0} ms`);
        const mark = n;
        await waitFor(
          systemClock,
          'writes after growth',
          () => (n > mark + 20 ? true : undefined),
          {
            timeoutMs: 20_000,
            intervalMs: 10,
          },
        );
      } finally {
        writing = false;
        await writer;
      }
      const after = (await rt.observe('ledger'))!.members;
      expect(after.map((m) => m.instance)).toEqual(before.map((m) => m.instance));
      for (const [i, m] of after.entries()) {
        expect(m.volume.capacityBytes).toBeGreaterThan(before[i]!.volume.capacityBytes + 350 * MIB);
        expect(m.volume.capacityBytes).toBe((await df(m.volume.path!)).size);
      }
      expect(await pgQuery(port, password, 'select count(*)::int as c from w')).toEqual([{ c: n }]);
    });

    it('grows a Redis volume online while a client writes, same pid', async () => {
      await ensure(kv);
      const o = await waitRunning(rt, 'kv');
      const m = o.members[0]!;
      const { password } = (await rt.credentials('kv'))!;
      const r = await redisClient(m.endpoint.port, password);
      let n = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) await r.set(`k${++n}`, 'x'.repeat(1000));
      })();
      try {
        await waitFor(systemClock, 'some writes', () => (n > 100 ? true : undefined), {
          timeoutMs: 20_000,
          intervalMs: 10,
        });
        const t0 = systemClock.now();
        const p = await rt.expandVolume('kv', 'kv-0', 600 * MIB, 'Online');
        // The local runtime grows a loop volume within the call.
        if (!p.done) throw new Error(`expandVolume is waiting: ${p.waiting}`);
        const grown = p.value;
        console.info(`expandVolume (Redis, 300->600 MiB): ${systemClock.now() - t0} ms`);
        expect(grown.capacityBytes).toBe((await df(m.volume.path!)).size);
        expect(grown.capacityBytes).toBeGreaterThan(m.volume.capacityBytes + 250 * MIB);
        const mark = n;
        await waitFor(
          systemClock,
          'writes after growth',
          () => (n > mark + 100 ? true : undefined),
          {
            timeoutMs: 20_000,
            intervalMs: 10,
          },
        );
      } finally {
        writing = false;
        await writer;
      }
      expect((await rt.observe('kv'))!.members[0]!.instance).toBe(m.instance);
      expect(await r.dbsize()).toBe(n);
      r.disconnect();
    });

    it('remounts after a simulated reboot and starts members with their data', async () => {
      const { password } = (await rt.credentials('ledger'))!;
      const rows = await pgQuery(
        (await rt.observe('ledger'))!.members[0]!.endpoint.port,
        password,
        'select count(*)::int as c from w',
      );
      await rt.close({ stopMembers: true });
      for (const db of ['ledger', 'kv']) {
        for (const m of topology(db === 'kv' ? kv : pg)) {
          const dir = memberDir(db, m.name);
          await unmountLoopVolume({
            image: join(dir, 'volume.img'),
            mountPoint: join(dir, 'volume'),
          });
        }
      }
      expect(await mountsUnder(stateDir)).toEqual([]);
      expect(await loopDevicesUnder(stateDir)).toEqual([]);
      rt = await make();
      // The grown size is kept: the spec's smaller one neither shrinks nor re-creates it.
      await ensure(pg);
      await ensure(kv);
      const o = await waitRunning(rt, 'ledger', 60_000);
      expect(
        await pgQuery(o.members[0]!.endpoint.port, password, 'select count(*)::int as c from w'),
      ).toEqual(rows);
      for (const m of o.members) expect(m.volume.capacityBytes).toBeGreaterThan(700 * MIB);
      const k = (await waitRunning(rt, 'kv')).members[0]!;
      expect(k.volume.capacityBytes).toBeGreaterThan(500 * MIB);
      const r = await redisClient(k.endpoint.port, (await rt.credentials('kv'))!.password);
      expect(await r.dbsize()).toBeGreaterThan(100);
      r.disconnect();
    });

    it('wipe unmounts and leaves no loop device behind', async () => {
      await rt.wipe('ledger');
      await rt.wipe('kv');
      expect(await mountsUnder(stateDir)).toEqual([]);
      expect(await loopDevicesUnder(stateDir)).toEqual([]);
      expect(await rt.list()).toEqual([]);
    });
  },
);
