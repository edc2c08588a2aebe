import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAutoscale } from '../../src/main.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { revertHead } from '../helpers/git-work.js';
import { startPostgresLoad, startRedisLoad, type LoadWriter } from '../helpers/load-writer.js';
import { postgres, redisStandalone } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import {
  autoscaler,
  autoscalerOp,
  fillPast,
  pgClient,
  redisClient,
  remoteLog,
  usedPercent,
} from '../helpers/autoscale.js';

const Mi = 1024 * 1024;

describe('storage autoscaler: decisions committed to Git (loop volumes, real writes)', () => {
  let env: TestEnv;
  let work: string;
  const loads: LoadWriter[] = [];

  beforeAll(async () => {
    env = await startEnv(
      {
        'databases/session.yaml': redisStandalone('session', {
          storage: '320Mi',
          config: 'auto-aof-rewrite-percentage 0',
        }),
        'databases/orders.yaml': postgres('orders', { replicas: 2, storage: '320Mi' }),
        'autoscalers/session.yaml': autoscaler(
          'Redis',
          'session',
          'trigger: "On"\nusageThreshold: 50\nscalingThreshold: 50\nupperBound: 2Gi\nexpansionMode: Online\n',
        ),
        'autoscalers/orders.yaml': autoscaler(
          'Postgres',
          'orders',
          'trigger: "On"\nusageThreshold: 50\nscalingThreshold: 50\nupperBound: 2Gi\nexpansionMode: Online\n',
        ),
      },
      // No cooldown: after the revert, what keeps the bot quiet is the usage of the grown volume.
      {
        volumes: 'loop',
        denyNonFastForwards: true,
        config: { autoscale: { ...defaultAutoscale, cooldownMs: 0 } },
      },
    );
    work = await mkdtemp(join(tmpdir(), 'dbops-autoscale-work-'));
    await env.until('ready', (s) =>
      ['session', 'orders'].every((n) => s.databases.find((d) => d.name === n)?.phase === 'Ready'),
    );
  });
  afterAll(async () => {
    for (const l of loads) await l.stop().catch(() => undefined);
    await env?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('fills both databases past the threshold; the bot commits one OpsRequest each, the volumes grow online, no write is lost', async () => {
    const s0 = await env.converge();
    const size0 = (name: string) =>
      Math.min(...db(s0, name).members.map((m) => m.volume.capacityBytes));
    const [sessionCap, ordersCap] = [size0('session'), size0('orders')];
    const redisCreds = await env.app.runtime.credentials('session');
    const r = (await env.app.runtime.observe('session'))!.members[0]!;
    loads.push(
      await startRedisLoad({
        endpoints: [r.endpoint],
        password: redisCreds!.password,
        cluster: false,
      }),
    );
    const pgCreds = await env.app.runtime.credentials('orders');
    const p = (await env.app.runtime.observe('orders'))!.members.find((x) => x.role === 'primary')!;
    loads.push(
      await startPostgresLoad({
        ...p.endpoint,
        user: pgCreds!.username,
        password: pgCreds!.password,
      }),
    );

    // Below the threshold nothing is decided.
    await env.app.autoscaler.tick();
    const before = await remoteLog(env.url, work);
    expect((await env.converge()).autoscalers.map((a) => a.lastDecision)).toEqual([null, null]);

    const redis = await redisClient(env.app.runtime, 'session');
    const chunk = 'x'.repeat(Mi);
    await fillPast(env.app.runtime, 'session', 50, (i) => redis.set(`fill:${i}`, chunk));
    const pgc = await pgClient(env.app.runtime, 'orders');
    await pgc.query('CREATE TABLE fill (id int PRIMARY KEY, v text)');
    await pgc.query('ALTER TABLE fill ALTER COLUMN v SET STORAGE EXTERNAL');
    const standby = await pgClient(env.app.runtime, 'orders', 'standby');
    await fillPast(env.app.runtime, 'orders', 50, async (i) => {
      await pgc.query('INSERT INTO fill VALUES ($1, $2)', [i, chunk]);
      // Data pages reach the volume at checkpoints, up to shared_buffers (128 MB) after the
      // write: flush them as the fill goes, on the standby too (a restartpoint), so that the
      // usage seen is the data written and does not jump by that much after the decision.
      if (i % 8 === 7) {
        await pgc.query('CHECKPOINT');
        await standby.query('CHECKPOINT');
      }
    });

    const s = await waitFor(
      systemClock,
      'both autoscaler expansions to succeed',
      async () => {
        await env.app.autoscaler.tick();
        const st = await env.converge();
        const done = ['session', 'orders'].every(
          (n) => autoscalerOp(st, n)?.phase === 'Successful',
        );
        return done ? st : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );

    // On the remote: one bot commit per database, with its message and trailers.
    const log = await remoteLog(env.url, work);
    const bot = log.filter((c) => c.author === 'dbops-autoscaler <dbops-autoscaler@localhost>');
    expect(bot.map((c) => c.subject).sort()).toEqual([
      expect.stringMatching(
        /^autoscale\(orders\): expand storage 320Mi -> 480Mi \(usage \d+% > 50%\)$/,
      ),
      expect.stringMatching(
        /^autoscale\(session\): expand storage 320Mi -> 480Mi \(usage \d+% > 50%\)$/,
      ),
    ]);
    for (const c of bot) {
      expect(c.trailers).toMatchObject({
        'Dbops-Threshold': '50%',
        'Dbops-Old-Size': '320Mi',
        'Dbops-New-Size': '480Mi',
      });
      expect(c.trailers['Dbops-Autoscaler']).toBe(`${c.trailers['Dbops-Database']}-storage`);
      expect(c.files).toEqual([
        expect.stringMatching(
          new RegExp(`^ops/\\d{8}-\\d{6}-${c.trailers['Dbops-Database']}-volumeexpansion\\.yaml$`),
        ),
      ]);
    }
    expect(log.length).toBe(before.length + bot.length);

    // The volumes grew online, and usage fell below the threshold.
    for (const name of ['session', 'orders']) {
      for (const m of db(s, name).members)
        expect(m.volume.capacityBytes).toBeGreaterThan(name === 'session' ? sessionCap : ordersCap);
      const usage = await env.app.runtime.volumeUsage(name);
      expect(await usedPercent(env.app.runtime, name), JSON.stringify(usage)).toBeLessThan(50);
      const a = s.autoscalers.find((x) => x.database === name)!;
      expect(a.lastDecision).toMatchObject({
        result: 'Committed',
        fromBytes: 320 * Mi,
        toBytes: 480 * Mi,
      });
    }
    // Every acknowledged write is still there; no client write failed.
    for (const l of loads.splice(0)) {
      await l.stop();
      expect(await l.verify()).toMatchObject({ failed: 0, lost: 0 });
    }
    expect(await redis.dbsize()).toBeGreaterThan(0);
    redis.disconnect();
    await pgc.end();
    await standby.end();
  });

  it('git revert of an autoscaler commit shrinks nothing, says why, and the bot does not commit again', async () => {
    const log = await remoteLog(env.url, work);
    const commit = log.find((c) => c.subject.startsWith('autoscale(session)'))!;
    await revertHead(env.url, commit.sha);
    let s = await env.until('VolumeSize condition', (x) =>
      db(x, 'session').conditions.some((c) => c.type === 'VolumeSize'),
    );
    expect(db(s, 'session').conditions.find((c) => c.type === 'VolumeSize')?.message).toMatch(
      /volume stays at 480Mi: volumes cannot shrink/,
    );
    const head = (await remoteLog(env.url, work))[0]!.sha;
    const below =
      s.autoscalers.find((x) => x.database === 'session')!.decisions['BelowThreshold'] ?? 0;
    for (let i = 0; i < 5; i++) {
      await env.app.autoscaler.tick();
      s = await env.converge();
    }
    expect((await remoteLog(env.url, work))[0]!.sha).toBe(head);
    const a = s.autoscalers.find((x) => x.database === 'session')!;
    expect(a.decisions['BelowThreshold']).toBe(below + 5);
    expect(a.lastDecision).toMatchObject({ result: 'Committed', toBytes: 480 * Mi });
    for (const m of db(s, 'session').members)
      expect(m.volume.capacityBytes).toBeGreaterThan(400 * Mi);
  });
});
