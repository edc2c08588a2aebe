// What a user feels first: how long after `git push` the controller acts on the commit. A real
// `dbops run` (child process) follows a real smart-HTTP Git server (git http-backend, in a
// process of its own) and runs one standalone Redis. Each push changes its maxmemory, so the
// controller derives a Reconfigure and applies it live. Two milestones per push, read from
// the controller's JSON log lines (their `time`, the same clock as the push's start):
//   first action: 'revision loaded' for the pushed commit (fetched, validated, planned, handed
//                 to the database's worker);
//   applied:      the Reconfigure it planned reached Successful (CONFIG SET done and recorded).
// Webhook: the bare repository's post-receive hook calls /hooks/generic with curl, signed over
// `<timestamp>.<body>` with openssl as the README shows, and the controller polls every 30 s
// (the default). Polling: no hook; 30 s polls would make 20 pushes take about 6 minutes, so
// the interval is 2 s and each push waits a random part of it first, which spreads pushes
// uniformly over the poll cycle; the 30 s figures are computed from it.
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { spawnDbops } from '../helpers/cli-process.js';
import { exited } from '../helpers/controller-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { git } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

type Row = { label: string; value: string };
type LogLine = { time: number; msg?: string; [field: string]: unknown };
type Sample = { push: number; loaded: number; applied: number };

const pushes = 20;
const defaultIntervalMs = 30_000;
const pollIntervalMs = 2_000;
const secret = 'bench-webhook-secret';
const manifest = 'databases/cache.yaml';
let maxmemory = 64;

/** The controller's JSON log lines as they arrive; `next` finds or awaits one after `from`. */
function tail(child: ChildProcess) {
  const lines: LogLine[] = [];
  createInterface({ input: child.stderr! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // not a log line
    }
  });
  return {
    get length() {
      return lines.length;
    },
    // The milestones are the lines' own times, so how often this looks does not matter.
    next: (what: string, from: number, match: (l: LogLine) => boolean, timeoutMs = 120_000) =>
      waitFor(systemClock, what, () => lines.slice(from).find(match), {
        timeoutMs,
        intervalMs: 5,
      }),
  };
}

type Controller = { log: ReturnType<typeof tail>; port: number; stop(): Promise<void> };

/** Starts `dbops run` on the fixture and waits until the database is Ready. */
async function startController(
  fx: GitFixture,
  intervalMs: number,
  secretFile?: string,
): Promise<Controller> {
  const child = spawnDbops([
    'run',
    ...['--repo', fx.url, '--state-dir', fx.stateDir, '--volumes', 'directory'],
    ...['--interval', `${intervalMs / 1000}s`, '--http', '127.0.0.1:0', '--log-level', 'info'],
    '--stop-on-exit',
    ...(secretFile ? ['--webhook-secret', secretFile] : []),
  ]);
  child.stdout?.resume();
  const log = tail(child);
  const serving = await log.next('serving http', 0, (l) => l.msg === 'serving http');
  const port = Number(String(serving.address).split(':').pop());
  await waitFor(
    systemClock,
    'cache Ready',
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/databases/cache`);
      const body = (await res.json()) as { phase?: string };
      return res.ok && body.phase === 'Ready' ? true : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 100 },
  );
  return {
    log,
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/** The post-receive hook a user would install: curl to the generic route, HMAC by openssl. */
function postReceive(url: string, deliveries: string): string {
  return `#!/bin/sh
while read old new ref; do
  ts=$(date +%s)
  body="{\\"ref\\":\\"$ref\\",\\"after\\":\\"$new\\"}"
  sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac '${secret}' -hex | sed 's/.* //')
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST '${url}' \\
    -H 'Content-Type: application/json' -H "X-Dbops-Timestamp: $ts" \\
    -H "X-Dbops-Signature: sha256=$sig" -d "$body")
  echo "$ref $code" >> '${deliveries}'
done
`;
}

/**
 * Pushes one maxmemory change from the clone `work` and returns the milestones in ms since
 * `git push` began; with `jitterMs`, first waits a random time below it (the poll phase).
 */
async function pushOnce(ctl: Controller, work: string, jitterMs = 0): Promise<Sample> {
  // A random wait, not a settle: it places the push at a uniformly random point of the poll cycle.
  if (jitterMs > 0) await systemClock.sleep(Math.random() * jitterMs);
  maxmemory += 1;
  await writeFile(
    join(work, manifest),
    redisStandalone('cache', { config: `maxmemory ${maxmemory}mb` }),
  );
  await git(work, 'commit', '--quiet', '-am', `cache: maxmemory ${maxmemory}mb`);
  const commit = await git(work, 'rev-parse', 'HEAD');
  const from = ctl.log.length;
  const t0 = Date.now();
  await git(work, 'push', '--quiet', 'origin', 'HEAD');
  const push = Date.now() - t0;
  const loaded = await ctl.log.next(
    `revision ${commit.slice(0, 12)} loaded`,
    from,
    (l) => l.msg === 'revision loaded' && l.revision === commit.slice(0, 12),
  );
  const applied = await ctl.log.next(
    'the Reconfigure applied',
    from,
    (l) => l.database === 'cache' && /^Reconfigure \S+: Successful/.test(l.msg ?? ''),
  );
  return { push, loaded: loaded.time - t0, applied: applied.time - t0 };
}

/** One warm-up push, then `pushes` measured ones. */
async function series(ctl: Controller, work: string, jitterMs = 0): Promise<Sample[]> {
  await pushOnce(ctl, work, jitterMs);
  const out: Sample[] = [];
  for (let i = 0; i < pushes; i++) out.push(await pushOnce(ctl, work, jitterMs));
  return out;
}

/** Median and nearest-rank p95 of `xs`. */
function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const median = (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
  return { median, p95: s[Math.ceil(0.95 * s.length) - 1]! };
}

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
const both = (xs: number[]) => {
  const { median, p95 } = stats(xs);
  return `median ${ms(median)}, p95 ${ms(p95)}`;
};

function rowsOf(label: string, samples: Sample[]): Row[] {
  return [
    { label: `${label}: push -> first action`, value: both(samples.map((x) => x.loaded)) },
    { label: `${label}: push -> applied`, value: both(samples.map((x) => x.applied)) },
    { label: `${label}: git push itself`, value: both(samples.map((x) => x.push)) },
  ];
}

/** Benchmark: push-to-first-action latency, webhook vs polling, median and p95 over 20 pushes. */
export async function run(): Promise<{ title: string; rows: Row[] }> {
  const fx = await startGitFixture(
    'bench-push',
    { [manifest]: redisStandalone('cache', { config: `maxmemory ${maxmemory}mb` }) },
    { serverProcess: true },
  );
  const scratch = await mkdtemp(join(tmpdir(), 'dbops-bench-push-'));
  try {
    const work = join(scratch, 'work');
    await git(scratch, 'clone', '--quiet', fx.url, 'work');
    const secretFile = join(scratch, 'secret');
    await writeFile(secretFile, secret, { mode: 0o600 });
    const deliveries = join(scratch, 'deliveries.txt');
    const hook = join(fx.bareDir, 'hooks', 'post-receive');

    const webhookCtl = await startController(fx, defaultIntervalMs, secretFile);
    await writeFile(
      hook,
      postReceive(`http://127.0.0.1:${webhookCtl.port}/hooks/generic`, deliveries),
    );
    await chmod(hook, 0o755);
    const webhook = await series(webhookCtl, work).finally(() => webhookCtl.stop());
    const delivered = (await readFile(deliveries, 'utf8')).trim().split('\n');
    const count = (ref: RegExp) => {
      const of = delivered.filter((l) => ref.test(l));
      return `${of.filter((l) => l.endsWith(' 202')).length} of ${of.length}`;
    };
    await rm(hook);

    const pollCtl = await startController(fx, pollIntervalMs);
    const polling = await series(pollCtl, work, pollIntervalMs).finally(() => pollCtl.stop());

    // Polling waits U(0, interval) for the next fetch, then does what the measured run did:
    // its overhead is the measured median less the median wait, interval / 2. The median of
    // n uniform waits is off by interval / (2 sqrt(n)) (one standard error), 0.22 s here.
    const overhead = stats(polling.map((x) => x.loaded)).median - pollIntervalMs / 2;
    const error = pollIntervalMs / (2 * Math.sqrt(pushes));
    const expected = (q: number) => q * defaultIntervalMs + overhead;
    const webhookMedian = stats(webhook.map((x) => x.loaded)).median;
    return {
      title: `push -> first action: webhook vs polling, ${pushes} pushes each (standalone Redis, maxmemory changes)`,
      rows: [
        { label: 'webhook: branch pushes accepted (HTTP 202)', value: count(/^refs\/heads\//) },
        {
          // The hook reports every ref, as a forge would; without --branch the generic route
          // takes any ref, so the controller's own note pushes make it fetch once more.
          label: "webhook: pushes of the controller's git notes, accepted",
          value: count(/^refs\/notes\//),
        },
        ...rowsOf('webhook (polls every 30 s too)', webhook),
        ...rowsOf(`polling every ${pollIntervalMs / 1000} s (measured)`, polling),
        {
          label: 'polling every 30 s (computed: interval x q + overhead)',
          value: `median ${ms(expected(0.5))}, p95 ${ms(expected(0.95))} (overhead ${ms(overhead)} ± ${ms(error)})`,
        },
        {
          label: 'first action, polling 30 s / webhook (medians)',
          value: `${(expected(0.5) / webhookMedian).toFixed(0)}x`,
        },
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await fx.cleanup();
  }
}
