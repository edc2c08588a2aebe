import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../../src/api/desired.js';
import { DbopsError, codes } from '../../src/errors.js';
import { systemClock } from '../../src/platform/clock.js';
import { topology } from '../../src/plan/topology.js';
import type { ExpansionMode, Runtime } from '../../src/runtime/runtime.js';
import type { ContractHarness, RuntimeContractOptions } from './harness.js';
import { pgQuery, redisClient, untilDone, waitRunning } from './helpers.js';
import { postgresSpec, redisSpec } from './specs.js';

const GIB = 1024 * 1024 * 1024;

/**
 * The day-2 part of the runtime contract: writeConfig, validateConfig and volume expansion,
 * against real servers. Tests run in order on one harness.
 */
export function runDay2Contract(opts: RuntimeContractOptions): void {
  describe(`runtime contract, day-2 operations: ${opts.name}`, () => {
    let h: ContractHarness;
    let rt: Runtime;
    const test = (name: string, fn: () => Promise<void>) => {
      const why = opts.skip?.[name];
      if (why) it.skip(`${name} (skipped: ${why})`, fn);
      // Each test chains several waits with deadlines of their own (members up to 120 s): the
      // test's own timeout is longer, so a failure names the wait that ran out, not the test.
      else it(name, fn, 400_000);
    };
    /** ensureMembers until done (a runtime may answer "waiting" while members come up). */
    const ensure = (spec: DatabaseSpec) =>
      untilDone(`${spec.name} members`, () => rt.ensureMembers(spec, topology(spec)), 120_000);
    const pids = async (db: string) => (await rt.observe(db))?.members.map((m) => m.instance);
    const rejection = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e,
      );
    /** expandVolume until it is done (a runtime may wait for the volume's new size). */
    const expand = (db: string, member: string, bytes: number, mode: ExpansionMode) =>
      untilDone(`${member} grown to ${bytes} bytes (${mode})`, () =>
        rt.expandVolume(db, member, bytes, mode),
      );
    const redisGet = async (port: number, password: string, key: string) => {
      const r = await redisClient(port, password);
      try {
        return (await r.call('CONFIG', 'GET', key)) as string[];
      } finally {
        r.disconnect();
      }
    };

    beforeAll(async () => {
      h = await opts.make();
      rt = h.runtime;
      await ensure(redisSpec('kv'));
      await ensure(postgresSpec('pgc'));
    });

    afterAll(async () => {
      await h?.cleanup();
    });

    test('writeConfig changes nothing live; restartMember applies it (Redis)', async () => {
      const spec = redisSpec('kv', { config: { maxmemory: '64mb' } });
      const { password } = (await rt.credentials('kv'))!;
      const port = (await waitRunning(rt, 'kv')).members[0]!.endpoint.port;
      const before = await pids('kv');
      await rt.writeConfig(spec);
      expect(await pids('kv')).toEqual(before);
      expect(await redisGet(port, password, 'maxmemory')).toEqual(['maxmemory', '0']);
      expect((await rt.observe('kv'))?.lastSpec).toEqual(spec);
      await rt.restartMember('kv', 'kv-0');
      const o = await waitRunning(rt, 'kv');
      expect(await redisGet(o.members[0]!.endpoint.port, password, 'maxmemory')).toEqual([
        'maxmemory',
        String(64 * 1024 * 1024),
      ]);
    });

    test('writeConfig changes nothing live; restartMember applies it (Postgres)', async () => {
      const spec = postgresSpec('pgc', { config: { work_mem: '8MB' } });
      const { password } = (await rt.credentials('pgc'))!;
      const port = (await waitRunning(rt, 'pgc', 60_000)).members[0]!.endpoint.port;
      const show = async (p: number) => (await pgQuery(p, password, 'show work_mem'))[0];
      await rt.writeConfig(spec);
      expect(await show(port)).toEqual({ work_mem: '4MB' });
      await rt.restartMember('pgc', 'pgc-0');
      const o = await waitRunning(rt, 'pgc', 60_000);
      expect(await show(o.members[0]!.endpoint.port)).toEqual({ work_mem: '8MB' });
    });

    test('validateConfig returns Redis settings and rejects bad ones without touching members', async () => {
      const before = await pids('kv');
      const t0 = systemClock.now();
      const ok = await rt.validateConfig(redisSpec('kv', { config: { maxmemory: '100mb' } }));
      console.info(`validateConfig (Redis): ${systemClock.now() - t0} ms`);
      expect(ok.settings.maxmemory).toBe(String(100 * 1024 * 1024));
      expect(ok.settings.appendonly).toBe('yes');
      expect(Object.keys(ok.settings).length).toBeGreaterThan(100);
      const cluster = await rt.validateConfig(redisSpec('kv', { mode: 'Cluster', shards: 3 }));
      expect(cluster.settings['cluster-enabled']).toBe('yes');
      const bad = await rejection(
        rt.validateConfig(redisSpec('kv', { config: { maxmemory: 'lots' } })),
      );
      expect(bad).toBeInstanceOf(DbopsError);
      expect((bad as DbopsError).code).toBe(codes.invalidField);
      expect((bad as DbopsError).message).toMatch(/"maxmemory".*argument must be a memory value/);
      expect((bad as DbopsError).message).toContain(`>>> 'maxmemory lots'`);
      const unknown = await rejection(
        rt.validateConfig(redisSpec('kv', { config: { 'no-such-directive': 'x' } })),
      );
      expect((unknown as DbopsError).message).toMatch(
        /"no-such-directive".*Bad directive or wrong number of arguments/,
      );
      expect(await pids('kv')).toEqual(before);
      expect(await h.leftovers()).toEqual([]);
    });

    test('validateConfig checks Postgres settings without touching members', async () => {
      const before = await pids('pgc');
      const t0 = systemClock.now();
      const ok = await rt.validateConfig(
        postgresSpec('pgc', { config: { work_mem: '16MB', shared_buffers: '64MB' } }),
      );
      console.info(`validateConfig (Postgres, 2 keys): ${systemClock.now() - t0} ms`);
      expect(Object.keys(ok.settings).sort()).toEqual(['shared_buffers', 'work_mem']);
      expect(ok.settings.work_mem).toMatch(/^(16384|16MB)$/);
      const bad = await rejection(
        rt.validateConfig(postgresSpec('pgc', { config: { shared_buffers: 'banana' } })),
      );
      expect((bad as DbopsError).code).toBe(codes.invalidField);
      expect((bad as DbopsError).message).toMatch(/"shared_buffers".*invalid value for parameter/);
      const unknown = await rejection(
        rt.validateConfig(postgresSpec('pgc', { config: { no_such_param: '1' } })),
      );
      expect((unknown as DbopsError).message).toMatch(
        /"no_such_param".*unrecognized configuration parameter/,
      );
      expect(await pids('pgc')).toEqual(before);
      expect(await h.leftovers()).toEqual([]);
      // A database with no data yet is checked too (against scratch data).
      const fresh = await rt.validateConfig(postgresSpec('newpg', { config: { work_mem: '8MB' } }));
      expect(fresh.settings.work_mem).toMatch(/^(8192|8MB)$/);
    });

    test('expandVolume Online raises capacity under the running server and never shrinks', async () => {
      const spec = redisSpec('grow');
      await ensure(spec);
      const o = await waitRunning(rt, 'grow');
      const before = o.members[0]!;
      const t0 = systemClock.now();
      const grown = await expand('grow', 'grow-0', 2 * GIB, 'Online');
      console.info(`expandVolume 1GiB -> 2GiB: ${systemClock.now() - t0} ms`);
      expect(grown.capacityBytes).toBeGreaterThan(before.volume.capacityBytes + 0.9 * GIB);
      expect(grown.capacityBytes).toBeGreaterThan(2 * GIB * 0.9);
      expect((await rt.observe('grow'))!.members[0]!.volume.capacityBytes).toBe(
        grown.capacityBytes,
      );
      expect((await rt.observe('grow'))!.members[0]!.instance).toBe(before.instance);
      const again = await expand('grow', 'grow-0', 2 * GIB, 'Online');
      expect(again.capacityBytes).toBe(grown.capacityBytes);
      const smaller = await expand('grow', 'grow-0', GIB / 2, 'Online');
      expect(smaller.capacityBytes).toBe(grown.capacityBytes);
      await untilDone('grow claim template', () => rt.finishVolumeExpansion('grow', 2 * GIB));
      // A reverted expansion: the spec asks less than the volume has; nothing shrinks.
      await ensure(spec);
      expect((await rt.observe('grow'))!.members[0]!.volume.capacityBytes).toBe(
        grown.capacityBytes,
      );
      const missing = await rejection(rt.expandVolume('grow', 'grow-9', 2 * GIB, 'Online'));
      expect((missing as DbopsError).code).toBe(codes.notFound);
    });

    test('expandVolume Offline takes the member down for the growth and brings it back with its data', async () => {
      const spec = redisSpec('cold');
      await ensure(spec);
      const before = (await waitRunning(rt, 'cold')).members[0]!;
      const { password } = (await rt.credentials('cold'))!;
      const r = await redisClient(before.endpoint.port, password);
      await r.set('kept', 'yes');
      // Written to the append-only file before the member goes down.
      await r.call('BGREWRITEAOF');
      r.disconnect();
      const grown = await expand('cold', 'cold-0', 2 * GIB, 'Offline');
      expect(grown.capacityBytes).toBeGreaterThan(2 * GIB * 0.9);
      const after = (await waitRunning(rt, 'cold')).members[0]!;
      expect(after.instance).not.toBe(before.instance);
      expect(after.volume.capacityBytes).toBe(grown.capacityBytes);
      const r2 = await redisClient(after.endpoint.port, password);
      try {
        expect(await r2.get('kept')).toBe('yes');
      } finally {
        r2.disconnect();
      }
    });
  });
}
