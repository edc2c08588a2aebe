import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseSpec } from '../../src/api/desired.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { topology } from '../../src/plan/topology.js';
import type { Runtime, RuntimeEvent } from '../../src/runtime/runtime.js';
import type { ContractHarness, RuntimeContractOptions } from './harness.js';
import { pgQuery, redisClient, untilDone, waitRunning } from './helpers.js';
import { postgresSpec, redisSpec } from './specs.js';

export type { RuntimeContractOptions } from './harness.js';

/**
 * Registers the runtime contract: every Runtime implementation must pass these against real
 * servers. Tests run in order on one harness; each uses its own databases.
 */
export function runRuntimeContract(opts: RuntimeContractOptions): void {
  describe(`runtime contract: ${opts.name}`, () => {
    let h: ContractHarness;
    let rt: Runtime;
    const events: RuntimeEvent[] = [];
    const test = (name: string, fn: () => Promise<void>) => {
      const why = opts.skip?.[name];
      if (why) it.skip(`${name} (skipped: ${why})`, fn);
      else it(name, fn);
    };
    /** ensureMembers until done (a runtime may answer "waiting" while members come up). */
    const ensure = (spec: DatabaseSpec) =>
      untilDone(`${spec.name} members`, () => rt.ensureMembers(spec, topology(spec)), 120_000);

    beforeAll(async () => {
      h = await opts.make();
      rt = h.runtime;
      rt.subscribe((e) => events.push(e));
    });

    afterAll(async () => {
      await h?.cleanup();
    });

    test('credentials are generated once', async () => {
      const spec = redisSpec('creds');
      expect(await rt.credentials('creds')).toBeUndefined();
      const a = await rt.ensureCredentials(spec);
      const b = await rt.ensureCredentials(spec);
      expect(b).toEqual(a);
      expect(await rt.credentials('creds')).toEqual(a);
      expect(a.username).toBe('default');
      expect(a.password.length).toBeGreaterThanOrEqual(40);
      const p = await rt.ensureCredentials(postgresSpec('creds-pg'));
      expect(p.username).toBe('postgres');
      expect(p.password).not.toBe(a.password);
    });

    test('a standalone Redis runs and answers with its password', async () => {
      const spec = redisSpec('cache');
      await ensure(spec);
      const o = await waitRunning(rt, 'cache');
      expect(o.kind).toBe('Redis');
      expect(o.members.map((m) => m.name)).toEqual(['cache-0']);
      const m = o.members[0]!;
      expect(m.version).toMatch(/^\d+\.\d+/);
      expect(m.volume.capacityBytes).toBeGreaterThan(spec.storageBytes * 0.9);
      expect(m.volume.capacityBytes).toBeLessThanOrEqual(spec.storageBytes * 1.1);
      const { password } = (await rt.credentials('cache'))!;
      const r = await redisClient(m.endpoint.port, password);
      try {
        expect(await r.ping()).toBe('PONG');
        await r.set('k', 'v');
        expect(await r.get('k')).toBe('v');
      } finally {
        r.disconnect();
      }
      await expect(redisClient(m.endpoint.port, 'wrong')).rejects.toThrow();
    });

    test('halt keeps the data and ensureMembers brings it back', async () => {
      const spec = redisSpec('halted');
      await ensure(spec);
      const before = await waitRunning(rt, 'halted');
      const { password } = (await rt.credentials('halted'))!;
      const r = await redisClient(before.members[0]!.endpoint.port, password);
      await r.set('kept', 'yes');
      r.disconnect();
      await rt.halt('halted');
      const halted = await rt.observe('halted');
      expect(halted?.halted).toBe(true);
      expect(halted?.members.every((m) => !m.running)).toBe(true);
      expect(await rt.list()).toContain('halted');
      await ensure(spec);
      const after = await waitRunning(rt, 'halted');
      expect(after.halted).toBe(false);
      const r2 = await redisClient(after.members[0]!.endpoint.port, password);
      try {
        expect(await r2.get('kept')).toBe('yes');
      } finally {
        r2.disconnect();
      }
    });

    test('wipe removes everything', async () => {
      const spec = redisSpec('wiped');
      await ensure(spec);
      const o = await waitRunning(rt, 'wiped');
      await rt.wipe('wiped');
      expect(await rt.observe('wiped')).toBeUndefined();
      expect(await rt.list()).not.toContain('wiped');
      expect(await rt.credentials('wiped')).toBeUndefined();
      const instance = o.members[0]!.instance;
      if (instance) expect(await h.gone(instance)).toBe(true);
    });

    test('restartMember restarts one member and keeps its data', async () => {
      const spec = redisSpec('restarted');
      await ensure(spec);
      const before = await waitRunning(rt, 'restarted');
      const { password } = (await rt.credentials('restarted'))!;
      const r = await redisClient(before.members[0]!.endpoint.port, password);
      await r.set('x', '1');
      r.disconnect();
      await rt.restartMember('restarted', 'restarted-0');
      const after = await waitRunning(rt, 'restarted');
      expect(after.members[0]!.instance).not.toBe(before.members[0]!.instance);
      const r2 = await redisClient(after.members[0]!.endpoint.port, password);
      try {
        expect(await r2.get('x')).toBe('1');
      } finally {
        r2.disconnect();
      }
    });

    test('Redis Cluster members start cluster-enabled', async () => {
      const spec = redisSpec('shop', { mode: 'Cluster', shards: 3, replicas: 2 });
      await ensure(spec);
      const o = await waitRunning(rt, 'shop');
      expect(o.members).toHaveLength(6);
      const { password } = (await rt.credentials('shop'))!;
      for (const m of o.members) {
        const r = await redisClient(m.endpoint.port, password);
        try {
          const info = String(await r.call('CLUSTER', 'INFO'));
          expect(info).toMatch(/cluster_state:/);
          expect(info).toMatch(/cluster_known_nodes:1\b/);
        } finally {
          r.disconnect();
        }
      }
      await rt.wipe('shop');
    });

    test('Postgres primary and standby stream', async () => {
      const spec = postgresSpec('orders', { replicas: 2 });
      await ensure(spec);
      const o = await waitRunning(rt, 'orders', 60_000);
      const [primary, standby] = o.members;
      expect(primary?.role).toBe('primary');
      expect(standby?.role).toBe('standby');
      const { password } = (await rt.credentials('orders'))!;
      const pport = primary!.endpoint.port;
      await waitFor(
        systemClock,
        'standby streaming',
        async () => {
          const rows = await pgQuery(
            pport,
            password,
            'select application_name, state from pg_stat_replication',
          );
          return rows.some((r) => (r as { state: string }).state === 'streaming')
            ? rows
            : undefined;
        },
        { timeoutMs: 30_000 },
      );
      await pgQuery(pport, password, 'create table t (v text); insert into t values ($$hello$$)');
      const rows = await waitFor(
        systemClock,
        'row on the standby',
        async () => {
          const r = await pgQuery(standby!.endpoint.port, password, 'select v from t').catch(
            () => [],
          );
          return r.length ? r : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(rows).toEqual([{ v: 'hello' }]);
      await rt.wipe('orders');
    });

    test('a member killed with SIGKILL comes back', async () => {
      const o = await waitRunning(rt, 'cache');
      const old = o.members[0]!;
      await h.kill(old.instance!);
      const back = await waitFor(
        systemClock,
        'a new instance',
        async () => {
          const m = (await rt.observe('cache'))?.members[0];
          return m?.running && m.instance !== old.instance ? m : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(back.restarts).toBe(old.restarts + 1);
      expect(back.lastExit).toBeDefined();
      expect(events.some((e) => e.member === 'cache-0' && e.type === 'member-exited')).toBe(true);
      expect(events.some((e) => e.member === 'cache-0' && e.type === 'member-restarted')).toBe(
        true,
      );
    });

    test('a new instance adopts running members', async () => {
      const spec = redisSpec('cache');
      const before = await waitRunning(rt, 'cache');
      const running = await h.instances();
      rt = await h.reopen();
      const seen: RuntimeEvent[] = [];
      rt.subscribe((e) => seen.push(e));
      const adopted = await waitRunning(rt, 'cache');
      expect(adopted.members.map((m) => m.instance)).toEqual(before.members.map((m) => m.instance));
      await ensure(spec);
      const after = await waitRunning(rt, 'cache');
      expect(after.members.map((m) => m.instance)).toEqual(before.members.map((m) => m.instance));
      expect(seen.filter((e) => e.type === 'member-started')).toEqual([]);
      expect(await h.instances()).toEqual(running);
      // The adopted member is supervised too.
      await h.kill(before.members[0]!.instance!);
      await waitFor(
        systemClock,
        'adopted member restarted',
        async () => {
          const m = (await rt.observe('cache'))?.members[0];
          return m?.running && m.instance !== before.members[0]!.instance ? m : undefined;
        },
        { timeoutMs: 30_000 },
      );
    });
  });
}
