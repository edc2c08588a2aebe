// Runs the real CLI, `node dist/cli/bin.js validate <dir>`, on a generated repository of 1,000
// databases (`run({ databases })` for another size) written to disk, and a baseline side by
// side: a plain Node script that reads the same files and parses them with the `yaml`
// package, no validation (the floor of any YAML-based validator). Both are child processes,
// so both pay Node's startup alike.
//
// Peak memory: GNU time's `%M` is the child's ru_maxrss from wait4(), the kernel's high-water
// mark of resident memory for the whole process, read after it has exited: nothing is missed
// and nothing races. Without /usr/bin/time, the child reports its own
// process.resourceUsage().maxRSS (the same counter) from an exit hook preloaded with --import.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { writeFiles } from '../helpers/git-work.js';
import { generate as generateRepo } from './validate.js';

type Row = { label: string; value: string };
type Sample = { ms: number; rssKb: number; code: number | null; stdout: string };

export const runs = 3;
const repoRoot = join(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'dist/cli/bin.js');
const gnuTime = '/usr/bin/time';

/** The same repository as bench/validate.ts, as file contents. */
function generate(databases: number): Record<string, string> {
  return Object.fromEntries(generateRepo(databases).files.map((f) => [f.path, f.content ?? '']));
}

// Reads every *.yaml like the CLI's directory source, keeps the parsed values (cross-document
// rules need them all at once), validates nothing.
const baselineScript = (yamlUrl: string) => `
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from ${JSON.stringify(yamlUrl)};
const kept = [];
async function walk(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p);
    else if (/\\.ya?ml$/.test(e.name))
      for (const d of parseAllDocuments(await readFile(p, 'utf8'))) kept.push(d.toJS());
  }
}
await walk(process.argv[2]);
console.log('parsed ' + kept.length + ' document(s)');
`;

const exitHook = `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));`;

/** Runs `node ...args` once; wall time around the whole child, peak RSS as explained above. */
export async function once(args: string[], scratch: string): Promise<Sample> {
  const rssFile = join(scratch, 'rss.txt');
  await rm(rssFile, { force: true });
  const [cmd, argv] = existsSync(gnuTime)
    ? [gnuTime, ['-f', '%M', '-o', rssFile, process.execPath, ...args]]
    : [
        process.execPath,
        ['--import', `data:text/javascript,${encodeURIComponent(exitHook)}`, ...args],
      ];
  const t0 = performance.now();
  const child = spawn(cmd, argv, {
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const ms = performance.now() - t0;
  const rssKb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
  return { ms, rssKb, code, stdout: stdout.trim() };
}

/**
 * Runs each command `runs` times, interleaved so that load from other processes on this shared
 * machine falls on all of them alike; the median time and the median peak RSS of each.
 */
export async function medians<K extends string>(commands: Record<K, string[]>, scratch: string) {
  const keys = Object.keys(commands) as K[];
  const all = new Map(keys.map((k) => [k, [] as Sample[]]));
  for (let i = 0; i < runs; i++)
    for (const k of keys) all.get(k)?.push(await once(commands[k], scratch));
  return Object.fromEntries(keys.map((k) => [k, summary(all.get(k) ?? [])])) as Record<
    K,
    ReturnType<typeof summary>
  >;
}

function summary(samples: Sample[]) {
  const mid = <T>(xs: T[], by: (x: T) => number) =>
    [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!;
  return {
    ms: mid(samples, (x) => x.ms).ms,
    rssKb: mid(samples, (x) => x.rssKb).rssKb,
    last: samples[samples.length - 1]!,
  };
}

async function newest(dir: string): Promise<number> {
  let t = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.ts') || /\.test\.ts$|fixtures\.ts$/.test(e.name))
      continue;
    t = Math.max(t, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than src/; says what it did. */
export async function ensureBuilt(): Promise<string> {
  if (existsSync(bin) && (await stat(bin)).mtimeMs >= (await newest(join(repoRoot, 'src'))))
    return 'dist/ up to date';
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  return r.status === 0
    ? 'dist/ was stale: ran npm run build'
    : `dist/ was stale: npm run build exited ${r.status} (built anyway where tsc could)`;
}

/**
 * Benchmark: `dbops validate` on `databases` databases (default 1,000) vs a read +
 * yaml.parseAllDocuments script.
 */
export async function run({ databases = 1000 } = {}): Promise<{ title: string; rows: Row[] }> {
  const build = await ensureBuilt();
  const scratch = await mkdtemp(join(tmpdir(), 'dbops-bench-validate-'));
  try {
    const repo = join(scratch, 'repo');
    const files = generate(databases);
    await writeFiles(repo, files);
    const bytes = Object.values(files).reduce((n, t) => n + Buffer.byteLength(t), 0);
    const script = join(scratch, 'baseline.mjs');
    const yamlUrl = pathToFileURL(createRequire(import.meta.url).resolve('yaml')).href;
    await writeFile(script, baselineScript(yamlUrl));
    await once([bin, 'validate', repo], scratch); // warm the page cache for both
    const commands = { cli: [bin, 'validate', repo], base: [script, repo], node: ['-e', ''] };
    const { cli, base, node } = await medians(commands, scratch);
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    return {
      title: `dbops validate (CLI, child process) on ${databases} databases (${Object.keys(files).length} files, ${mb(bytes / 1024)} of YAML)`,
      rows: [
        { label: 'build', value: build },
        {
          label: 'peak RSS method',
          value: existsSync(gnuTime)
            ? '/usr/bin/time -f %M (wait4 ru_maxrss)'
            : 'exit hook: process.resourceUsage().maxRSS',
        },
        {
          label: 'dbops validate exit code / output',
          value: `${cli.last.code} / ${cli.last.stdout.slice(0, 100)}`,
        },
        { label: 'baseline output', value: base.last.stdout },
        { label: `dbops validate wall time (median of ${runs})`, value: `${cli.ms.toFixed(0)} ms` },
        { label: 'baseline read + yaml parse wall time', value: `${base.ms.toFixed(0)} ms` },
        { label: 'node -e "" wall time (startup floor)', value: `${node.ms.toFixed(0)} ms` },
        { label: 'ratio time validate / baseline', value: `${(cli.ms / base.ms).toFixed(2)}x` },
        {
          label: 'ratio time minus startup',
          value: `${((cli.ms - node.ms) / (base.ms - node.ms)).toFixed(2)}x`,
        },
        { label: `dbops validate peak RSS (median of ${runs})`, value: mb(cli.rssKb) },
        { label: 'baseline peak RSS', value: mb(base.rssKb) },
        { label: 'node -e "" peak RSS', value: mb(node.rssKb) },
        {
          label: 'ratio peak RSS validate / baseline',
          value: `${(cli.rssKb / base.rssKb).toFixed(2)}x`,
        },
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
