// The storage autoscaler on real parts (redis-server on the local runtime, a Git server process
// over smart HTTP). 1: a Redis standalone is filled past its threshold with real writes while
// both loops of `dbops run` go (autoscaler every 5 s, controller poll 60 s, so the controller
// applies the bot's own revision at once): threshold crossed -> bot commit on the remote ->
// volume expanded, beside the published loop times of pvc-autoresizer and KubeDB. 2: the bot
// commits one decision while ten clients push to the same branch, at three contention levels,
// then ten commits go through the bot's Source (its fetch-commit-push try, repeated for a
// spread), beside a native git client doing the same (pull --rebase, commit, push until it
// lands).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env as processEnv } from 'node:process';
import type { StatusDocument } from '../../src/api/status.js';
import { defaultAutoscale } from '../../src/main.js';
import { silentLogger } from '../../src/platform/logger.js';
import { createGitSource } from '../../src/source/git-source.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { probeLoopSupport } from '../../src/runtime/local/loop-volume.js';
import { autoscaler, autoscalerOp, redisClient, startPushers } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

type Row = { label: string; value: string };

const clock = systemClock;
const Mi = 1024 * 1024;
const threshold = 50;
const capMs = 90_000;
const on = `trigger: "On"\nusageThreshold: ${threshold}\nscalingThreshold: 50\nupperBound: 2Gi\nexpansionMode: Online\n`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const row = (label: string, value: string): Row => ({ label, value });
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};
const minCapacity = (st: StatusDocument, name: string) =>
  Math.min(...db(st, name).members.map((m) => m.volume.capacityBytes));

/** Loop volumes when this machine supports them (a real probe), else directories and why. */
async function volumesHere(): Promise<{ volumes: 'loop' | 'directory'; note: string }> {
  const scratchDir = await mkdtemp(join(tmpdir(), 'dbops-bench-loop-'));
  const r = await probeLoopSupport({ scratchDir });
  await rm(scratchDir, { recursive: true, force: true });
  if (r.supported) return { volumes: 'loop', note: '' };
  return { volumes: 'directory', note: `: ${r.reason ?? 'loop volumes unsupported'}` };
}

/**
 * An env with one Redis standalone and its autoscaler per name, all Ready, on a remote that
 * refuses non-fast-forward pushes. With DBOPS_TEST_LOG set, each env logs to `<file>.<part>`:
 * startEnv opens the file afresh, so a second env would overwrite the first one's log.
 */
async function openEnv(part: string, names: string[], volumes: 'loop' | 'directory') {
  const files = Object.fromEntries(
    names.flatMap((n) => [
      [
        `databases/${n}.yaml`,
        redisStandalone(n, { storage: '320Mi', config: 'auto-aof-rewrite-percentage 0' }),
      ],
      [`autoscalers/${n}.yaml`, autoscaler('Redis', n, on)],
    ]),
  );
  const log = processEnv.DBOPS_TEST_LOG;
  if (log) processEnv.DBOPS_TEST_LOG = `${log}.${part}`;
  const env = await startEnv(files, { volumes, serverProcess: true }).finally(() => {
    if (log) processEnv.DBOPS_TEST_LOG = log;
  });
  try {
    const bare = join(env.root, 'git', 'desired.git');
    await git(env.root, '--git-dir', bare, 'config', 'receive.denyNonFastForwards', 'true');
    await env.until('ready', (st) => names.every((n) => db(st, n).phase === 'Ready'), 120_000);
    return env;
  } catch (err) {
    await closeEnv(env);
    throw err;
  }
}

/** What went wrong on the way and was retried; printed at the end, never hidden. */
const incidents: string[] = [];

/**
 * Closes `env`, trying again for a while when a volume was still busy: a member's exit can
 * race the umount of its volume, and a failed close would leak the Git server and the mount.
 */
async function closeEnv(env: TestEnv): Promise<void> {
  let tries = 0;
  const close = async () => {
    tries++;
    await env.close();
    return true;
  };
  await waitFor(clock, 'the env to close', close, { timeoutMs: 15_000, intervalMs: 500 });
  if (tries > 1) incidents.push(`closing the env took ${tries} tries (a volume was busy)`);
}

const remoteHead = async (env: TestEnv) =>
  (await git(env.root, 'ls-remote', env.url, 'refs/heads/main')).split(/\s/)[0] ?? '';

/** Writes 1 MiB values, statfs after each; returns when the fullest volume went above `pct`. */
async function fillUntilCrossed(env: TestEnv, name: string, pct: number): Promise<number> {
  const client = await redisClient(env.app.runtime, name);
  const chunk = 'x'.repeat(Mi);
  try {
    for (let i = 0; i < 4096; i++) {
      await client.set(`fill:${i}`, chunk);
      const vols = await env.app.runtime.volumeUsage(name);
      if (vols.some(({ volume: v }) => v.usedBytes * 100 > pct * v.capacityBytes)) {
        return clock.now();
      }
    }
    throw new Error(`${name}: 4 GiB written, still not above ${pct}%`);
  } finally {
    client.disconnect();
  }
}

/** Resolves at the autoscaler's next sample of `name` (a new `usage.sampledAt` in the status). */
async function nextSample(env: TestEnv, name: string): Promise<void> {
  const at = () =>
    env.app.controller.status().autoscalers.find((a) => a.database === name)?.usage?.sampledAt;
  const before = at();
  const moved = () => (at() !== before ? true : undefined);
  await waitFor(clock, `${name}: the next sample`, moved, { timeoutMs: 30_000, intervalMs: 20 });
}

/**
 * One fill of `name` under the running loops, started `phaseMs` after a sample (so that the
 * three runs cross the threshold early, midway and late in the sampling interval), timed
 * from the crossing to the grown volume.
 */
async function trip(env: TestEnv, name: string, phaseMs: number) {
  const head0 = await remoteHead(env);
  const cap0 = minCapacity(env.app.controller.status(), name);
  await nextSample(env, name);
  await clock.sleep(phaseMs);
  const filling = clock.now();
  const crossed = await fillUntilCrossed(env, name, threshold);
  const opts = { timeoutMs: capMs, intervalMs: 100 };
  const seen = waitFor(
    clock,
    `${name}: a new commit on the remote`,
    async () => {
      const head = await remoteHead(env);
      return head !== head0 ? { head, at: clock.now() } : undefined;
    },
    opts,
  );
  const ended = waitFor(
    clock,
    `${name}: the autoscaler's expansion to end`,
    () => {
      const st = env.app.controller.status();
      const op = autoscalerOp(st, name);
      if (op?.phase === 'Failed' || op?.phase === 'Skipped') return { st, op, at: clock.now() };
      const grown = op?.phase === 'Successful' && minCapacity(st, name) > cap0;
      return grown ? { st, op, at: clock.now() } : undefined;
    },
    { ...opts, intervalMs: 50 },
  );
  const [commit, end] = await Promise.all([seen, ended]);
  if (end.op.phase !== 'Successful') throw new Error(`${name}: ${end.op.phase}: ${end.op.message}`);
  const d = end.st.autoscalers.find((x) => x.database === name)!.lastDecision!;
  const rec = env.app.controller.autoscaleHost().state.autoscalers?.[name];
  const fs = `filesystem ${cap0 / Mi} -> ${minCapacity(end.st, name) / Mi} MiB`;
  return {
    fillMs: crossed - filling,
    crossed,
    decided: Date.parse(d.at),
    // The push returned: the remote's ref had moved. ls-remote, polled, sees it a bit later.
    pushed: rec?.pushedAt ?? commit.at,
    seen: commit.at,
    started: Date.parse(end.op.startedAt ?? ''),
    finished: Date.parse(end.op.finishedAt ?? ''),
    expanded: end.at,
    what: `${d.fromBytes / Mi}Mi -> ${d.toBytes / Mi}Mi at ${d.usedPercent}% used, ${fs}`,
    same: commit.head === d.commit,
    attempts: d.attempts,
  };
}

type Trip = Awaited<ReturnType<typeof trip>>;
const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The rows of one run: the total, then where its time went. */
function tripRows(n: number, t: Trip): Row[] {
  const phase = s2(((n - 1) * defaultAutoscale.intervalMs) / 3);
  const tries = `${t.attempts} ${t.attempts === 1 ? 'try' : 'tries'}`;
  const seen = `${s2(t.seen - t.pushed)} after the push${t.same ? '' : ' (NOT the bot commit)'}`;
  return [
    row(`run ${n}: crossed -> expanded`, s(t.expanded - t.crossed)),
    row(`  fill (started ${phase} after a sample)`, s2(t.fillMs)),
    row('  crossed -> decision (sample wait)', s2(t.decided - t.crossed)),
    row('  decision -> pushed', `${s2(t.pushed - t.decided)} (${tries})`),
    row('  pushed -> op started (fetch, plan)', s2(t.started - t.pushed)),
    row('  op started -> finished (expansion)', s2(t.finished - t.started)),
    row('  finished -> seen in the status', s2(t.expanded - t.finished)),
    row('  decision', t.what),
    row('  ls-remote saw the bot commit', seen),
  ];
}

/** Part 1: three fills, each of a fresh database, under `env.app.run`. */
async function thresholdToExpanded(volumes: 'loop' | 'directory', note: string) {
  const names = ['fill-a', 'fill-b', 'fill-c'];
  const env = await openEnv('expand', names, volumes);
  const abort = new AbortController();
  const running = env.app.run(abort.signal);
  const rows: Row[] = [];
  try {
    const types = new Set((await env.app.runtime.volumeUsage(names[0]!)).map((v) => v.volume.type));
    rows.push(row('volumes', `${[...types].join(', ')}${note}`));
    const trips: Trip[] = [];
    for (const [i, name] of names.entries()) {
      trips.push(await trip(env, name, (i * defaultAutoscale.intervalMs) / 3));
      rows.push(...tripRows(i + 1, trips[i]!));
    }
    const stat = (label: string, f: (t: Trip) => number) => {
      const xs = trips.map(f);
      rows.push(row(label, `median ${s(median(xs))}, max ${s(Math.max(...xs))}`));
      return xs;
    };
    stat('crossed -> commit on the remote', (t) => t.pushed - t.crossed);
    stat('commit -> expanded (status)', (t) => t.expanded - t.pushed);
    const total = stat('crossed -> expanded', (t) => t.expanded - t.crossed);
    const [med, max] = [median(total), Math.max(...total)];
    const target =
      max < 15_000 ? 'met (max)' : med < 15_000 ? 'met by the median, not the max' : 'NOT met';
    rows.push(
      row('sampling interval (autoscaler)', s(defaultAutoscale.intervalMs)),
      row(
        'vs 1 min (median / max)',
        `${(med / 60_000).toFixed(2)}x / ${(max / 60_000).toFixed(2)}x`,
      ),
      row(
        'pvc-autoresizer (published)',
        '--interval 10 s on kubelet volume stats (~60 s): 1-2 min',
      ),
      row('KubeDB autoscaler (published)', 'Prometheus metrics checked every ~1-2 min'),
      row('target: under 15 s', target),
    );
    return rows;
  } finally {
    abort.abort();
    await running.catch(() => undefined);
    await closeEnv(env);
  }
}

/** How the bot's decision went: landed (its file) or not (why), with its counters. */
interface BotResult {
  landed: boolean;
  /** From the first decision to the push that landed, or to the cap. */
  ms: number;
  file: string;
  why: string;
  attempts: number;
  tries: number;
  conflicts: number;
  decisions: number;
}

/** The bot ticks (every 5 s, as under `dbops run`) until its decision lands or `capMs` passes. */
async function botUnder(env: TestEnv, name: string): Promise<BotResult> {
  const host = env.app.controller.autoscaleHost();
  const t0 = clock.now();
  const decisions = new Set<string>();
  for (;;) {
    await env.app.autoscaler.tick();
    const rec = host.state.autoscalers?.[name];
    const d = rec?.lastDecision;
    if (d) decisions.add(d.at);
    const first = decisions.size > 0 ? Date.parse([...decisions][0]!) : t0;
    const counts = {
      attempts: d?.attempts ?? 0,
      tries: rec?.commitAttempts ?? 0,
      conflicts: rec?.commitConflicts ?? 0,
      decisions: decisions.size,
    };
    if (d?.result === 'Committed' && rec?.pushedAt) {
      return { landed: true, ms: rec.pushedAt - first, file: d.file, why: '', ...counts };
    }
    if (clock.now() - t0 > capMs) {
      const why = d?.message ?? 'no decision';
      return { landed: false, ms: clock.now() - first, file: d?.file ?? '', why, ...counts };
    }
    await clock.sleep(defaultAutoscale.intervalMs);
  }
}

/** A native git client's decision: pull --rebase, commit one file, push; again until it lands. */
async function nativeUnder(dir: string, n: number) {
  const t0 = clock.now();
  await git(dir, 'pull', '--quiet', '--rebase', 'origin', 'main').catch(() => undefined);
  const file = `native/decision-${n}.txt`;
  await writeFile(join(dir, file), `${n}\n`);
  await git(dir, 'add', file);
  await git(dir, 'commit', '--quiet', '-m', `native decision ${n}`);
  for (let tries = 1; ; tries++) {
    try {
      await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
      return { landed: true, tries, ms: clock.now() - t0 };
    } catch {
      if (clock.now() - t0 > capMs) return { landed: false, tries, ms: clock.now() - t0 };
      await git(dir, 'pull', '--quiet', '--rebase', 'origin', 'main').catch(() => undefined);
    }
  }
}

/**
 * The bot's commit path on its own, repeated: ten commits through a Source (fetch, commit on
 * that head, push; again on a conflict), as the autoscaler's tries do minus the decision. One
 * decision per level is one sample; these ten give the spread.
 */
async function sourceUnder(env: TestEnv, work: string, name: string) {
  const src = createGitSource({
    url: env.url,
    cacheDir: join(work, 'source-cache'),
    clock,
    log: silentLogger(),
  });
  const runs: { landed: boolean; tries: number }[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      let tries = 0;
      let landed = false;
      while (!landed && tries < 30) {
        tries++;
        const snap = await src.fetch();
        const res = await src.commit({
          files: [{ path: `chatter/${name}-source-${i}.txt`, content: `${i}\n` }],
          message: `source commit ${i}`,
          author: { name: 'bench', email: 'bench@localhost', timestamp: clock.now() },
          parent: snap.revision,
        });
        landed = res.ok;
        if (!res.ok && res.reason === 'refused') throw new Error(res.message);
      }
      runs.push({ landed, tries });
    }
  } finally {
    await src.close();
  }
  return runs;
}

type Level = { label: string; think: [number, number]; name: string };
const levels: Level[] = [
  { label: 'think 2000-4000 ms', think: [2000, 4000], name: 'push-calm' },
  { label: 'think 500-1500 ms', think: [500, 1500], name: 'push-busy' },
  { label: 'back to back', think: [0, 0], name: 'push-flood' },
];

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Under running pushers: the bot's decision, ten commits through the bot's Source, then up to
 * three native ones within `capMs`.
 */
async function underPushers(env: TestEnv, work: string, native: string, name: string) {
  const bot = await botUnder(env, name);
  const direct = await sourceUnder(env, work, name);
  const natives = [];
  for (const tn = clock.now(); natives.length < 3 && clock.now() - tn < capMs;) {
    natives.push(await nativeUnder(native, natives.length));
  }
  return { bot, direct, natives };
}

/** One contention level: its database filled, ten pushers, the bot's decision, then native's. */
async function level(env: TestEnv, work: string, native: string, lv: Level): Promise<Row[]> {
  await fillUntilCrossed(env, lv.name, threshold);
  const root = await mkdtemp(join(work, 'pushers-'));
  const pushers = startPushers(env.url, root, { thinkMs: lv.think });
  let m, rate;
  try {
    // Ten pushes (one each, all at once), then twenty more: their think times have spread
    // them out by then, so the bot meets the steady rate, not the lull after the first burst.
    const past = (n: number) => () => (pushers.pushed.length >= n ? true : undefined);
    await waitFor(clock, 'the pushers to get going', past(10), { timeoutMs: 60_000 });
    const [t0, p0] = [clock.now(), pushers.pushed.length];
    await waitFor(clock, 'the pushers to spread out', past(30), { timeoutMs: 60_000 });
    m = await underPushers(env, work, native, lv.name);
    rate = (pushers.pushed.length - p0) / ((clock.now() - t0) / 1000);
  } finally {
    await pushers.stop();
  }
  const { bot, direct, natives } = m;
  const bare = join(env.root, 'git', 'desired.git');
  const tree = await git(work, '--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main');
  const counts = [
    `${plural(bot.attempts, 'try', 'tries')} of the last decision`,
    `${bot.tries} in all`,
    plural(bot.conflicts, 'conflict'),
    plural(bot.decisions, 'decision'),
  ].join(', ');
  const onRemote = tree.includes(bot.file) ? '' : ' (its file is NOT on the remote)';
  const botValue = bot.landed
    ? `landed ${s(bot.ms)} after the first decision; ${counts}${onRemote}`
    : `did NOT land in ${s(capMs)}: ${counts}; ${bot.why}`;
  const tries = natives.map((x) => x.tries);
  const times = natives.map((x) => x.ms);
  const unlanded = natives.filter((x) => !x.landed).length;
  const missed = unlanded ? ` (${unlanded} did NOT land in ${s(capMs)})` : '';
  const directTries = direct.map((x) => x.tries);
  const directMissed = direct.filter((x) => !x.landed).length;
  const within3 = direct.filter((x) => x.landed && x.tries <= 3).length;
  return [
    row(`${lv.label}: pushes/s at the remote`, rate.toFixed(1)),
    row('  bot (dbops autoscaler)', botValue),
    row(
      `  dbops source x${direct.length}: tries median / max`,
      `${median(directTries)} / ${Math.max(...directTries)}; ${within3} of ${direct.length} within 3 tries` +
        (directMissed ? ` (${directMissed} did NOT land in 30 tries)` : ''),
    ),
    row(
      `  native git x${natives.length}: tries median / max`,
      `${median(tries)} / ${Math.max(...tries)}${missed}`,
    ),
    row('  native git: time median / max', `${s(median(times))} / ${s(Math.max(...times))}`),
    row(
      '  target: the bot lands within 3 tries',
      `${bot.landed && bot.tries <= 3 ? 'met' : 'NOT met'} (its decision: ${plural(bot.tries, 'try', 'tries')}; ` +
        `its Source: ${within3} of ${direct.length} commits within 3)`,
    ),
  ];
}

/**
 * Part 2: each contention level on its own env (the pushers' file names repeat from one
 * start to the next, so a remote serves one set of them); the native client clones once.
 */
async function contention(volumes: 'loop' | 'directory'): Promise<Row[]> {
  const rows: Row[] = [];
  for (const lv of levels) {
    const env = await openEnv(lv.name, [lv.name], volumes);
    const work = await mkdtemp(join(tmpdir(), 'dbops-bench-autoscale-'));
    try {
      const native = join(work, 'native');
      await git(work, 'clone', '--quiet', env.url, native);
      await mkdir(join(native, 'native'), { recursive: true });
      rows.push(...(await level(env, work, native, lv)));
    } finally {
      await closeEnv(env);
      await rm(work, { recursive: true, force: true });
    }
  }
  return rows;
}

/**
 * Benchmark: threshold crossed -> bot commit -> volume expanded under `dbops run` (three fills,
 * median and max, beside the 5 s sampling interval and the 1-2 min of pvc-autoresizer and
 * KubeDB), and the bot's commit under ten pushers at three levels beside native git.
 */
export async function run(): Promise<{ title: string; rows: Row[] }> {
  const t0 = clock.now();
  const { volumes, note } = await volumesHere();
  const rows = [
    row('threshold crossed -> expanded', `3 fills of 1 MiB SETs past ${threshold}%, 320Mi`),
    ...(await thresholdToExpanded(volumes, note)),
    row(
      'commit under contention',
      '10 pushers on main; bot: tick() every 5 s, no controller loop; cap 90 s',
    ),
    ...(await contention(volumes)),
    ...incidents.map((i) => row('incident', i)),
    row('total bench time', s(clock.now() - t0)),
  ];
  return {
    title:
      'Storage autoscaler: threshold -> commit -> expanded under dbops run; commits under 10 pushers',
    rows,
  };
}
