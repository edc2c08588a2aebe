// Day-2 operations under a continuous client load, on a real controller following a real Git
// server: how long each operation takes, and what the writing client sees meanwhile. Each
// operation's p99 is compared with a baseline: the same load on the same database, right after
// the operation once the database is Ready again, for a comparable time with no operation.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusDocument } from '../../src/api/status.js';
import { systemClock } from '../../src/platform/clock.js';
import { probeLoopSupport } from '../../src/runtime/local/loop-volume.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git, writeFiles } from '../helpers/git-work.js';
import { startPostgresLoad, startRedisLoad, type LoadWriter } from '../helpers/load-writer.js';
import { opsRequest, postgres, redisCluster } from '../helpers/manifests.js';

type Row = { label: string; value: string };
type Sample = { t: number; done: number; failed: number };

/** An OpsRequest to push: row label, OpsRequest name, type, spec body (YAML, indented 2). */
type Op = readonly [label: string, name: string, type: string, body: string];

const clock = systemClock;
let pushes = 0;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const phaseOf = (st: StatusDocument, name: string) =>
  st.opsRequests.find((x) => x.name === name)?.phase ?? '';
const ended = (st: StatusDocument, name: string) =>
  ['Successful', 'Failed', 'Skipped'].includes(phaseOf(st, name));
const conf = (file: string, text: string) =>
  `  configuration:\n    applyConfig:\n      ${file}: |\n        ${text}\n`;
const lru = conf('redis.conf', 'maxmemory-policy allkeys-lru');
const dbs32 = conf('redis.conf', 'databases 32');
const workMem = conf('user.conf', 'work_mem = 8MB');
const grow = '  volumeExpansion:\n    mode: Online\n    postgres: 2Gi\n';

/**
 * Clones and commits `files` before the load starts (a user's clone is not on the database
 * host); `push` returns the wall time at which `git push` began.
 */
async function preparePush(url: string, files: Record<string, string>, msg: string) {
  const work = await mkdtemp(join(tmpdir(), 'dbops-bench-push-'));
  const repo = join(work, 'repo');
  try {
    await git(work, 'clone', '--quiet', url, 'repo');
    await writeFiles(repo, files);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', msg);
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  return {
    async push() {
      const t = clock.now();
      await git(repo, 'push', '--quiet', 'origin', 'HEAD');
      return t;
    },
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
}

// progress() has no timestamps per write: a 20 ms timeline of the counters lets us count the
// writes that completed (acknowledged or failed) inside the operation's own window.
function sampler(load: LoadWriter) {
  const samples: Sample[] = [];
  const abort = new AbortController();
  const loop = (async () => {
    while (!abort.signal.aborted) {
      const p = load.progress();
      samples.push({ t: clock.now(), done: p.acknowledged + p.failed, failed: p.failed });
      await clock.sleep(20, abort.signal).catch(() => undefined);
    }
  })();
  return () => (abort.abort(), loop.then(() => samples));
}

const at = (samples: Sample[], t: number) =>
  samples.findLast((x) => x.t <= t) ?? { t, done: 0, failed: 0 };
const readyAgain = (env: TestEnv, name: string) =>
  env.until(`${name} Ready`, (st) => db(st, name).phase === 'Ready', 120_000);

const capacity = (st: StatusDocument, name: string) =>
  `${Math.min(...db(st, name).members.map((m) => m.volume.capacityBytes)) / 2 ** 20} MiB`;

/** The same load with no operation, for `durationMs`. */
async function loadFor(env: TestEnv, target: Target, durationMs: number) {
  const load = await target.startLoad(env);
  await clock.sleep(durationMs);
  return load.verify();
}

/** Pushes the OpsRequest under a fresh load and waits for it to end; the load is verified. */
async function underLoad(env: TestEnv, target: Target, [, name, type, body]: Op) {
  // Increasing timestamps keep the ledger's path order equal to the push order.
  const file = `ops/20261121-${100000 + ++pushes}-${name}.yaml`;
  const doc = opsRequest(target.kind, name, target.database, type, body);
  const commit = await preparePush(env.url, { [file]: doc }, name);
  const load = await target.startLoad(env);
  const stopSampling = sampler(load);
  let samples: Sample[];
  let status: StatusDocument;
  let pushedAt: number;
  try {
    pushedAt = await commit.push();
    status = await env.until(`${name} ended`, (st) => ended(st, name), 180_000);
  } finally {
    samples = await stopSampling();
    await load.stop();
    await commit.cleanup();
  }
  const o = status.opsRequests.find((x) => x.name === name);
  const start = Date.parse(o?.startedAt ?? '');
  const end = Date.parse(o?.finishedAt ?? '');
  const [a, b] = [at(samples, start), at(samples, end)];
  const window = { done: b.done - a.done, failed: b.failed - a.failed };
  return { o, start, end, pushedAt, window, report: await load.verify() };
}

/** Runs one operation under load, then its baseline; returns its rows. */
async function measure(env: TestEnv, target: Target, op: Op): Promise<Row[]> {
  const before = capacity(env.app.controller.status(), target.database);
  const { o, start, end, pushedAt, window, report } = await underLoad(env, target, op);
  const after = capacity(await readyAgain(env, target.database), target.database);
  // Comparable: as long as the loaded run above (the same share of client warm-up in both).
  const baseline = await loadFor(env, target, Math.min(10_000, Math.max(1_000, report.durationMs)));
  await readyAgain(env, target.database);

  const phase = o?.phase ?? 'unknown';
  const why = phase === 'Successful' ? '' : ` (${o?.message ?? ''})`;
  const errs = report.errors.length > 0 ? ` [${report.errors.slice(0, 2).join('; ')}]` : '';
  const r = report;
  const whole = `${r.attempted} / ${r.failed} / ${r.lost} in ${s(r.durationMs)}${errs}`;
  const b = baseline;
  const base = `${ms(b.p99Ms)} / ${ms(b.maxMs)} over ${s(b.durationMs)}, failed ${b.failed}, lost ${b.lost}`;
  const rows: [string, string][] = [
    [op[0], `${phase}${why}`],
    ['  operation (startedAt..finishedAt)', s(end - start)],
    ['  git push -> Successful', s(end - pushedAt)],
    ['  writes done in op window / failed', `${window.done} / ${window.failed}`],
    ['  whole run: attempted / failed / lost', whole],
    ['  p99 / max during run', `${ms(r.p99Ms)} / ${ms(r.maxMs)}`],
    ['  baseline p99 / max (same load, no op)', base],
    ['  ratio p99 op / baseline', `${(r.p99Ms / b.p99Ms).toFixed(2)}x`],
  ];
  if (op[2] === 'VolumeExpansion')
    rows.push(['  volume capacity (min) before -> after', `${before} -> ${after}`]);
  return rows.map(([label, value]) => ({ label, value }));
}

/** One database in its own environment, and the operations to run on it in order. */
interface Target {
  title: string;
  kind: 'Redis' | 'Postgres';
  database: string;
  files: Record<string, string>;
  loopVolumes: boolean;
  startLoad: (env: TestEnv) => Promise<LoadWriter>;
  ops: Op[];
}

/** Loop volumes when this machine supports them (a real probe), else directories and why. */
async function volumesFor(
  target: Target,
): Promise<{ volumes: 'loop' | 'directory'; note: string }> {
  if (!target.loopVolumes) return { volumes: 'directory', note: '' };
  const scratchDir = await mkdtemp(join(tmpdir(), 'dbops-bench-loop-'));
  const r = await probeLoopSupport({ scratchDir });
  await rm(scratchDir, { recursive: true, force: true });
  if (r.supported) return { volumes: 'loop', note: '' };
  return { volumes: 'directory', note: `: ${r.reason ?? 'loop volumes unsupported'}` };
}

async function suite(target: Target): Promise<Row[]> {
  const { volumes, note } = await volumesFor(target);
  const t0 = clock.now();
  const env = await startEnv(target.files, { volumes });
  try {
    const name = target.database;
    const st = await env.until(`${name} Ready`, (x) => db(x, name).phase === 'Ready', 120_000);
    const types = [...new Set(db(st, name).members.map((m) => m.volume.type))].join(', ');
    const value = `${s(clock.now() - t0)} (volumes: ${types}${note})`;
    const rows = [{ label: `${target.title} ready after`, value }];
    await loadFor(env, target, 1_000); // warms the client code up before the first figures
    for (const op of target.ops) {
      const failed = (err: Error) => [{ label: op[0], value: `error: ${err.message}` }];
      rows.push(...(await measure(env, target, op).catch(failed)));
    }
    return rows;
  } finally {
    await env.close();
  }
}

const redis: Target = {
  title: 'Redis Cluster 3x2',
  kind: 'Redis',
  database: 'cache',
  files: { 'databases/cache.yaml': redisCluster('cache') },
  loopVolumes: false,
  startLoad: async (env) => {
    const creds = await env.app.runtime.credentials('cache');
    const observed = await env.app.runtime.observe('cache');
    const endpoints = observed?.members.map((m) => m.endpoint) ?? [];
    return startRedisLoad({ endpoints, password: creds?.password ?? '', cluster: true });
  },
  ops: [
    ['Redis Reconfigure live (maxmemory-policy)', 'cache-lru', 'Reconfigure', lru],
    ['Redis Reconfigure with rolling restart (databases 32)', 'cache-dbs', 'Reconfigure', dbs32],
    ['Redis Restart', 'cache-restart', 'Restart', ''],
  ],
};

const postgresTarget: Target = {
  title: 'Postgres primary + 1 standby',
  kind: 'Postgres',
  database: 'orders',
  files: { 'databases/orders.yaml': postgres('orders', { replicas: 2 }) },
  loopVolumes: true,
  startLoad: async (env) => {
    const creds = await env.app.runtime.credentials('orders');
    const members = db(env.app.controller.status(), 'orders').members;
    const primary = members.find((m) => m.role === 'primary');
    const [host = '', port] = (primary?.endpoint ?? '').split(':');
    const { username: user = 'postgres', password = '' } = creds ?? {};
    return startPostgresLoad({ host, port: Number(port), user, password });
  },
  ops: [
    ['Postgres VolumeExpansion online 1Gi -> 2Gi', 'orders-grow', 'VolumeExpansion', grow],
    ['Postgres Reconfigure live (work_mem)', 'orders-workmem', 'Reconfigure', workMem],
  ],
};

/**
 * Benchmark: Redis Cluster 3x2 (live Reconfigure, rolling-restart Reconfigure, Restart) and
 * Postgres primary + standby (online VolumeExpansion, live Reconfigure) under a continuous load,
 * each operation's duration and client-side p99 against a no-operation baseline.
 */
export async function run(): Promise<{ title: string; rows: Row[] }> {
  const t0 = clock.now();
  const rows = [...(await suite(redis)), ...(await suite(postgresTarget))];
  rows.push({ label: 'total bench time', value: s(clock.now() - t0) });
  return {
    title: 'Operations under load (default rate 1.25 writes/ms, 4 loops; fetch right after push)',
    rows,
  };
}
