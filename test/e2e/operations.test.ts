import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/api/status.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { git, pushFiles, revertHead } from '../helpers/git-work.js';
import { startPostgresLoad } from '../helpers/load-writer.js';
import { opsRequest, postgres, redisStandalone } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const Mi = 1024 * 1024;

function op(s: StatusDocument, name: string) {
  const o = s.opsRequests.find((x) => x.name === name);
  if (!o) throw new Error(`no operation ${name}: ${s.opsRequests.map((x) => x.name).join(', ')}`);
  return o;
}
const ended = (s: StatusDocument, name: string) =>
  ['Successful', 'Failed', 'Skipped'].includes(
    s.opsRequests.find((x) => x.name === name)?.phase ?? '',
  );

async function redisOf(env: TestEnv, name: string) {
  const creds = await env.app.runtime.credentials(name);
  const m = (await env.app.runtime.observe(name))?.members[0];
  const client = new Redis({
    host: m!.endpoint.host,
    port: m!.endpoint.port,
    password: creds!.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  await client.connect();
  return { client, instance: m!.instance };
}

describe('day-2 operations from pushed commits (standalone Redis, Postgres)', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv(
      {
        'databases/session.yaml': redisStandalone('session', { config: 'maxmemory 32mb' }),
        'databases/orders.yaml': postgres('orders', { replicas: 2 }),
      },
      { volumes: 'loop' },
    );
    await env.until('ready', (s) =>
      ['session', 'orders'].every((n) => s.databases.find((d) => d.name === n)?.phase === 'Ready'),
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('Reconfigure applies a runtime setting live, without a restart', async () => {
    const before = await redisOf(env, 'session');
    before.client.disconnect();
    await pushFiles(
      env.url,
      {
        'ops/20261121-100000-session-reconfigure.yaml': opsRequest(
          'Redis',
          'session-lru',
          'session',
          'Reconfigure',
          `  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory-policy allkeys-lru\n`,
        ),
      },
      'reconfigure session',
    );
    const s = await env.until('reconfigure ended', (x) => ended(x, 'session-lru'));
    expect(op(s, 'session-lru')).toMatchObject({ phase: 'Successful', origin: 'OpsRequest' });
    const after = await redisOf(env, 'session');
    try {
      expect(await after.client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'allkeys-lru',
      ]);
      expect(await after.client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(32 * Mi)]);
      expect(after.instance).toBe(before.instance);
    } finally {
      after.client.disconnect();
    }
  });

  it('records each finished operation as a git note that git log --notes=dbops shows', async () => {
    await env.until('note pushed', (x) =>
      x.opsRequests.some((o) => o.name === 'session-lru' && o.phase === 'Successful'),
    );
    const work = await mkdtemp(join(tmpdir(), 'dbops-notes-'));
    try {
      await git(work, 'clone', '--quiet', env.url, 'repo');
      const repo = join(work, 'repo');
      const log = await waitFor(
        systemClock,
        'the note on the remote',
        async () => {
          await git(repo, 'fetch', '--quiet', 'origin', '+refs/notes/dbops:refs/notes/dbops').catch(
            () => undefined,
          );
          const out = await git(repo, 'log', '--notes=dbops', '--format=%H%n%N', '-n', '5').catch(
            () => '',
          );
          return out.includes('Reconfigure session-lru') ? out : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      expect(log).toMatch(/dbops: Reconfigure session-lru on session: Successful in /);
      expect(log).toMatch(/file: ops\/20261121-100000-session-reconfigure\.yaml/);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('git revert of the Reconfigure brings the previous configuration back', async () => {
    await revertHead(env.url);
    const s = await env.until('revert reconfigured', (x) =>
      x.opsRequests.some(
        (o) =>
          o.database === 'session' &&
          o.origin === 'SpecChange' &&
          o.type === 'Reconfigure' &&
          o.phase === 'Successful',
      ),
    );
    expect(db(s, 'session').phase).toBe('Ready');
    const r = await redisOf(env, 'session');
    try {
      expect(await r.client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
    } finally {
      r.client.disconnect();
    }
  });

  it('an edit of an executed OpsRequest is reported and not applied', async () => {
    await pushFiles(
      env.url,
      {
        'ops/20261121-100000-session-reconfigure.yaml': opsRequest(
          'Redis',
          'session-lru',
          'session',
          'Reconfigure',
          `  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory-policy volatile-lru\n`,
        ),
      },
      'edit an executed OpsRequest',
    );
    const s = await env.until('edit reported', (x) =>
      x.errors.some((e) => e.code === 'DBOPS_E_OPS_EDITED'),
    );
    const err = s.errors.find((e) => e.code === 'DBOPS_E_OPS_EDITED')!;
    expect(err).toMatchObject({
      file: 'ops/20261121-100000-session-reconfigure.yaml',
      database: 'session',
    });
    expect(err.message).toMatch(/create a new OpsRequest instead/);
    const r = await redisOf(env, 'session');
    try {
      expect(await r.client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
    } finally {
      r.client.disconnect();
    }
    // Undo the edit: the repository is valid again.
    await pushFiles(
      env.url,
      { 'ops/20261121-100000-session-reconfigure.yaml': null },
      'undo the edit',
    );
    await env.until('valid again', (x) => x.errors.length === 0);
  });

  it('a value the server rejects, or an unknown key, fails the operation and leaves the previous config running', async () => {
    const before = await redisOf(env, 'session');
    before.client.disconnect();
    await pushFiles(
      env.url,
      {
        'ops/20261121-110000-session-bad.yaml': opsRequest(
          'Redis',
          'session-bad',
          'session',
          'Reconfigure',
          `  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory lots\n`,
        ),
      },
      'bad value',
    );
    let s = await env.until('bad reconfigure ended', (x) => ended(x, 'session-bad'));
    expect(op(s, 'session-bad')).toMatchObject({ phase: 'Failed' });
    expect(op(s, 'session-bad').message).toMatch(/maxmemory/);
    await pushFiles(
      env.url,
      {
        'ops/20261121-110001-session-typo.yaml': opsRequest(
          'Redis',
          'session-typo',
          'session',
          'Reconfigure',
          `  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemroy 10mb\n`,
        ),
      },
      'unknown key',
    );
    s = await env.until('unknown key ended', (x) => ended(x, 'session-typo'));
    expect(op(s, 'session-typo')).toMatchObject({ phase: 'Failed' });
    expect(op(s, 'session-typo').message).toMatch(/maxmemroy/);
    const r = await redisOf(env, 'session');
    try {
      expect(await r.client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(32 * Mi)]);
      expect(r.instance).toBe(before.instance);
    } finally {
      r.client.disconnect();
    }
  });

  it('VolumeExpansion grows every Postgres volume online; a smaller size is denied by the no-shrink policy; a revert keeps the size', async () => {
    const before = await env.converge();
    const cap0 = Math.min(...db(before, 'orders').members.map((m) => m.volume.capacityBytes));
    const creds = await env.app.runtime.credentials('orders');
    const primary = db(before, 'orders').members.find((m) => m.role === 'primary')!;
    const [host, port] = primary.endpoint.split(':');
    // 8 writers in flight: the rate holds even when commits slow down on a busy machine.
    const load = await startPostgresLoad({
      concurrency: 8,
      host: host!,
      port: Number(port),
      user: creds!.username,
      password: creds!.password,
    });
    await pushFiles(
      env.url,
      {
        'ops/20261121-120000-orders-volumeexpansion.yaml': opsRequest(
          'Postgres',
          'orders-grow',
          'orders',
          'VolumeExpansion',
          `  volumeExpansion:\n    mode: Online\n    postgres: 2Gi\n`,
        ),
      },
      'grow orders',
    );
    let s = await env.until('expansion ended', (x) => ended(x, 'orders-grow'));
    await load.stop();
    const report = await load.verify();
    expect(op(s, 'orders-grow').phase).toBe('Successful');
    expect(report).toMatchObject({ failed: 0, lost: 0 });
    expect(report.attempted / report.durationMs).toBeGreaterThanOrEqual(1);
    for (const m of db(s, 'orders').members) expect(m.volume.capacityBytes).toBeGreaterThan(cap0);

    await pushFiles(
      env.url,
      {
        'ops/20261121-130000-orders-shrink.yaml': opsRequest(
          'Postgres',
          'orders-shrink',
          'orders',
          'VolumeExpansion',
          `  volumeExpansion:\n    mode: Online\n    postgres: 1Gi\n`,
        ),
      },
      'shrink orders',
    );
    // The built-in policy no-shrink denies the request: orders stays as it is, and says why.
    s = await env.until('shrink denied', (x) =>
      db(x, 'orders').conditions.some(
        (c) => c.type === 'ManifestValid' && c.status === 'False' && /no-shrink/.test(c.message),
      ),
    );
    expect(db(s, 'orders').conditions.find((c) => c.type === 'ManifestValid')?.message).toMatch(
      /policy no-shrink \(dbops:policies\/storage.yaml:\d+\): VolumeExpansion orders-shrink .* asks for 1Gi, less than the 2Gi before it/,
    );
    expect(s.opsRequests.some((o) => o.name === 'orders-shrink')).toBe(false);
    expect(db(s, 'orders').phase).toBe('Ready');

    await pushFiles(
      env.url,
      {
        'ops/20261121-130000-orders-shrink.yaml': null,
        'ops/20261121-120000-orders-volumeexpansion.yaml': null,
      },
      'revert the expansion',
    );
    s = await env.until('volume stays condition', (x) =>
      db(x, 'orders').conditions.some((c) => c.type === 'VolumeSize'),
    );
    expect(db(s, 'orders').conditions.find((c) => c.type === 'VolumeSize')?.message).toMatch(
      /volume stays at 2Gi: volumes cannot shrink/,
    );
    for (const m of db(s, 'orders').members) expect(m.volume.capacityBytes).toBeGreaterThan(cap0);
  });

  it('a Postgres configuration change in the spec is reconfigured live and shows its provenance', async () => {
    await pushFiles(
      env.url,
      {
        'databases/orders.yaml': postgres('orders', { replicas: 2 }).replace(
          '  deletionPolicy: Halt\n',
          '  configuration:\n    inline:\n      user.conf: |\n        work_mem = 8MB\n  deletionPolicy: Halt\n',
        ),
      },
      'work_mem',
    );
    const s = await env.until('derived reconfigure', (x) =>
      x.opsRequests.some(
        (o) =>
          o.database === 'orders' &&
          o.origin === 'SpecChange' &&
          o.type === 'Reconfigure' &&
          o.phase === 'Successful',
      ),
    );
    expect(db(s, 'orders').effective['spec.config.work_mem']).toMatchObject({
      value: '8MB',
      file: 'databases/orders.yaml',
    });
    const creds = await env.app.runtime.credentials('orders');
    const m = db(s, 'orders').members.find((x) => x.role === 'primary')!;
    const [host, port] = m.endpoint.split(':');
    const c = new pg.Client({
      host,
      port: Number(port),
      user: creds!.username,
      password: creds!.password,
      database: 'postgres',
    });
    await c.connect();
    try {
      expect((await c.query<{ work_mem: string }>('SHOW work_mem')).rows[0]?.work_mem).toBe('8MB');
    } finally {
      await c.end();
    }
  });

  it('a Postgres replicas change in the spec adds a streaming standby (HorizontalScaling)', async () => {
    const spec = postgres('orders', { replicas: 3 }).replace(
      '  deletionPolicy: Halt\n',
      '  configuration:\n    inline:\n      user.conf: |\n        work_mem = 8MB\n  deletionPolicy: Halt\n',
    );
    await pushFiles(env.url, { 'databases/orders.yaml': spec }, 'orders: 3 replicas');
    const s = await env.until(
      'a third member streaming',
      (x) =>
        x.opsRequests.some(
          (o) =>
            o.database === 'orders' && o.type === 'HorizontalScaling' && o.phase === 'Successful',
        ) &&
        db(x, 'orders').phase === 'Ready' &&
        db(x, 'orders').members.length === 3,
    );
    expect(
      db(s, 'orders')
        .members.map((m) => m.role)
        .sort(),
    ).toEqual(['primary', 'standby', 'standby']);
    expect(db(s, 'orders').conditions.find((c) => c.type === 'ReplicationHealthy')).toMatchObject({
      status: 'True',
    });
  });
});
