import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/api/status.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { runDbops } from '../helpers/cli-process.js';
import { pushFiles } from '../helpers/git-work.js';
import { postgres, redisCluster, redisStandalone } from '../helpers/manifests.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';

const exec = promisify(execFile);

async function redisFor(env: TestEnv, name: string) {
  const creds = await env.app.runtime.credentials(name);
  const member = (await env.app.runtime.observe(name))?.members[0];
  if (!creds || !member) throw new Error(`no credentials or member for ${name}`);
  const client = new Redis({
    host: member.endpoint.host,
    port: member.endpoint.port,
    password: creds.password,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  await client.connect();
  return client;
}

async function pgFor(env: TestEnv, name: string, ordinal: number) {
  const creds = await env.app.runtime.credentials(name);
  const member = (await env.app.runtime.observe(name))?.members.find((m) => m.ordinal === ordinal);
  if (!creds || !member) throw new Error(`no credentials or member ${ordinal} for ${name}`);
  const client = new pg.Client({
    host: member.endpoint.host,
    port: member.endpoint.port,
    user: creds.username,
    password: creds.password,
    database: 'postgres',
  });
  await client.connect();
  return client;
}

describe('controller end to end (real git server, redis-server, postgres)', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv({
      'databases/cache.yaml': redisCluster('cache'),
      'databases/session.yaml': redisStandalone('session', { config: 'maxmemory 32mb' }),
      'databases/orders.yaml': postgres('orders', { replicas: 2 }),
    });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('provisions a 3x2 Redis Cluster, a standalone Redis and Postgres with a standby', async () => {
    const status = await env.until('all databases ready', (s) =>
      ['cache', 'session', 'orders'].every(
        (n) => s.databases.find((d) => d.name === n)?.phase === 'Ready',
      ),
    );
    expect(db(status, 'cache').members).toHaveLength(6);
    expect(db(status, 'cache').members.filter((m) => m.role === 'master')).toHaveLength(3);
    expect(
      db(status, 'orders')
        .members.map((m) => m.role)
        .sort(),
    ).toEqual(['primary', 'standby']);

    const creds = await env.app.runtime.credentials('cache');
    const first = db(status, 'cache').members[0]!.endpoint;
    const check = await exec('redis-cli', ['--cluster', 'check', first], {
      env: { ...process.env, REDISCLI_AUTH: creds!.password },
    });
    expect(check.stdout).toContain('[OK] All 16384 slots covered.');

    const session = await redisFor(env, 'session');
    try {
      await session.set('k', 'v');
      expect(await session.get('k')).toBe('v');
      expect(await session.config('GET', 'maxmemory')).toEqual([
        'maxmemory',
        String(32 * 1024 * 1024),
      ]);
    } finally {
      session.disconnect();
    }

    const primary = await pgFor(env, 'orders', 0);
    const standby = await pgFor(env, 'orders', 1);
    try {
      await primary.query('CREATE TABLE IF NOT EXISTS t (v int)');
      await primary.query('INSERT INTO t VALUES (42)');
      await waitFor(
        systemClock,
        'row on the standby',
        async () => {
          const r = await standby
            .query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE v = 42')
            .catch(() => undefined);
          return r?.rows[0]?.n === 1 ? true : undefined;
        },
        { timeoutMs: 15_000 },
      );
    } finally {
      await primary.end();
      await standby.end();
    }
  });

  it('brings up a database added by a pushed commit', async () => {
    await pushFiles(env.url, { 'databases/extra.yaml': redisStandalone('extra') }, 'add extra');
    const status = await env.until(
      'extra ready',
      (s) => s.databases.find((d) => d.name === 'extra')?.phase === 'Ready',
    );
    expect(db(status, 'extra').members[0]?.ready).toBe(true);
  });

  it('reports an invalid manifest with file, line and field, keeps that database, and goes on with the others', async () => {
    const before = (await env.app.runtime.observe('session'))?.members[0]?.instance;
    await pushFiles(
      env.url,
      {
        'databases/session.yaml': redisStandalone('session', { storage: '-1Gi' }),
        'databases/more.yaml': redisStandalone('more'),
      },
      'break session, add more',
    );
    const status = await env.until(
      'more ready',
      (s) => s.databases.find((d) => d.name === 'more')?.phase === 'Ready',
    );
    const err = status.errors.find((e) => e.file === 'databases/session.yaml');
    expect(err).toMatchObject({ field: 'spec.storage.resources.requests.storage', line: 10 });
    const session = db(status, 'session');
    expect(session.conditions.find((c) => c.type === 'ManifestValid')).toMatchObject({
      status: 'False',
      reason: 'KeptAtLastGoodRevision',
    });
    expect(session.phase).toBe('Ready');
    expect((await env.app.runtime.observe('session'))?.members[0]?.instance).toBe(before);
  });

  it('halts a database whose file is removed, keeps its data, and brings it back with the data', async () => {
    const client = await redisFor(env, 'extra');
    await client.set('survives', 'yes');
    client.disconnect();
    await pushFiles(env.url, { 'databases/extra.yaml': null }, 'remove extra');
    const status = await env.until(
      'extra halted',
      (s) => s.databases.find((d) => d.name === 'extra')?.phase === 'Halted',
    );
    expect(db(status, 'extra').members.every((m) => !m.ready)).toBe(true);
    expect(existsSync(join(env.stateDir, 'runtime', 'extra'))).toBe(true);

    await pushFiles(env.url, { 'databases/extra.yaml': redisStandalone('extra') }, 'restore extra');
    await env.until(
      'extra ready again',
      (s) => s.databases.find((d) => d.name === 'extra')?.phase === 'Ready',
    );
    const again = await redisFor(env, 'extra');
    try {
      expect(await again.get('survives')).toBe('yes');
    } finally {
      again.disconnect();
    }
  });

  it('deletes the data of a removed database only when its last spec said WipeOut', async () => {
    await pushFiles(
      env.url,
      { 'databases/scratch.yaml': redisStandalone('scratch', { deletionPolicy: 'WipeOut' }) },
      'add scratch',
    );
    await env.until(
      'scratch ready',
      (s) => s.databases.find((d) => d.name === 'scratch')?.phase === 'Ready',
    );
    expect(existsSync(join(env.stateDir, 'runtime', 'scratch'))).toBe(true);
    await pushFiles(env.url, { 'databases/scratch.yaml': null }, 'remove scratch');
    const s = await env.until(
      'scratch wiped',
      (x) => !x.databases.some((d) => d.name === 'scratch'),
    );
    expect(existsSync(join(env.stateDir, 'runtime', 'scratch'))).toBe(false);
    expect(await env.app.runtime.observe('scratch')).toBeUndefined();
    expect(db(s, 'extra').phase).toBe('Ready');
  });

  it('keeps a removed database running when its last spec said DoNotTerminate, and dbops status says why', async () => {
    await pushFiles(
      env.url,
      { 'databases/keeper.yaml': redisStandalone('keeper', { deletionPolicy: 'DoNotTerminate' }) },
      'add keeper',
    );
    await env.until(
      'keeper ready',
      (s) => s.databases.find((d) => d.name === 'keeper')?.phase === 'Ready',
    );
    await pushFiles(env.url, { 'databases/keeper.yaml': null }, 'remove keeper');
    const s = await env.converge();
    const kept = {
      type: 'Reconciling',
      status: 'False',
      reason: 'Kept',
      message: expect.stringContaining('deletionPolicy DoNotTerminate: still running') as unknown,
    };
    expect(db(s, 'keeper').conditions).toContainEqual(expect.objectContaining(kept));
    expect(db(s, 'keeper').phase).toBe('Ready');
    expect((await env.app.runtime.observe('keeper'))?.members[0]?.running).toBe(true);

    // What `dbops status` reads from the state dir once the round is saved.
    const json = await runDbops(['status', '--output', 'json', '--state-dir', env.stateDir]);
    expect(json.code).toBe(0);
    const saved = JSON.parse(json.stdout) as StatusDocument;
    expect(db(saved, 'keeper').conditions).toContainEqual(expect.objectContaining(kept));
    const text = await runDbops(['status', 'keeper', '--state-dir', env.stateDir]);
    expect(text.stdout).toContain('deletionPolicy DoNotTerminate: still running');
  });
});
