// `dbops plan` between two commits of a generated repository of 1,000 databases, where the
// head changes 100 of them (50 storage raises, 50 configuration changes), run as the real CLI
// (`node dist/cli/bin.js plan`, a child process). Side by side, in the same run and
// interleaved: `git diff --stat` of the same two commits (what a YAML-diff tool shows a
// reviewer; native git, the floor of reading two revisions) and `dbops validate` of the head
// directory (reading and validating one revision). Both dbops commands pay Node's startup,
// which the `node -e ""` row shows.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { git, writeFiles } from '../helpers/git-work.js';
import { generate } from './validate.js';
import { bin, ensureBuilt, medians, once, runs } from './validate-cli.js';

type Row = { label: string; value: string };

/** Benchmark: dbops plan for a change touching `changed` of `databases` databases. */
export async function run({ databases = 1000, changed = 100 } = {}): Promise<{
  title: string;
  rows: Row[];
}> {
  const build = await ensureBuilt();
  const scratch = await mkdtemp(join(tmpdir(), 'dbops-bench-plan-'));
  try {
    const repo = join(scratch, 'repo');
    const { files } = generate(databases);
    await writeFiles(repo, Object.fromEntries(files.map((f) => [f.path, f.content ?? ''])));
    await git(scratch, 'init', '--quiet', '-b', 'main', repo);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', 'base');
    // Every tenth database changes: storage for the even ones, configuration for the odd.
    const edits: Record<string, string> = {};
    for (let i = 0, n = 0; n < changed && i < databases; i += databases / changed, n++) {
      const path = `databases/db-${i}.yaml`;
      const doc = files.find((f) => f.path === path)?.content ?? '';
      edits[path] =
        n % 2 === 0
          ? doc.replace('storage: 1Gi', 'storage: 4Gi')
          : doc.replace(/maxmemory-policy allkeys-lru|max_connections = 200/, (m) =>
              m.startsWith('max') && m.includes('policy')
                ? 'maxmemory-policy noeviction'
                : 'max_connections = 300',
            );
    }
    await writeFiles(repo, edits);
    await git(repo, 'commit', '--quiet', '-am', 'change 100 databases');
    const plan = [
      bin,
      'plan',
      '--repo',
      repo,
      '--base',
      'HEAD~1',
      '--head',
      'HEAD',
      '--format',
      'json',
    ];
    await once(plan, scratch); // warm the page cache
    const t0 = performance.now();
    execFileSync('git', ['-C', repo, 'diff', '--stat', 'HEAD~1', 'HEAD'], { stdio: 'ignore' });
    const gitOnce = performance.now() - t0;
    const m = await medians(
      {
        plan,
        validate: [bin, 'validate', repo],
        gitDiff: [
          '-e',
          `require('node:child_process').execFileSync('git', ['-C', ${JSON.stringify(repo)}, 'diff', 'HEAD~1', 'HEAD'], { stdio: 'ignore' })`,
        ],
        node: ['-e', ''],
      },
      scratch,
    );
    const out = JSON.parse(m.plan.last.stdout) as {
      databases: { operations: unknown[] }[];
      unchanged: number;
    };
    const ops = out.databases.reduce((n, d) => n + d.operations.length, 0);
    const less = (a: number) => a - m.node.ms;
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    return {
      title: `dbops plan (CLI, child process): ${changed} of ${databases} databases changed in one commit`,
      rows: [
        { label: 'build', value: build },
        {
          label: 'plan output',
          value: `exit ${m.plan.last.code}; ${out.databases.length} databases affected, ${out.unchanged} unchanged, ${ops} operations`,
        },
        { label: `dbops plan wall time (median of ${runs})`, value: `${m.plan.ms.toFixed(0)} ms` },
        {
          label: 'dbops validate (one revision) wall time',
          value: `${m.validate.ms.toFixed(0)} ms`,
        },
        {
          label: 'git diff HEAD~1 HEAD (from node) wall time',
          value: `${m.gitDiff.ms.toFixed(0)} ms`,
        },
        { label: 'git diff --stat, native, once', value: `${gitOnce.toFixed(0)} ms` },
        { label: 'node -e "" wall time (startup floor)', value: `${m.node.ms.toFixed(0)} ms` },
        {
          label: 'ratio plan / validate, startup removed',
          value: `${(less(m.plan.ms) / less(m.validate.ms)).toFixed(2)}x`,
        },
        {
          label: 'ratio plan / git diff, startup removed',
          value: `${(less(m.plan.ms) / less(m.gitDiff.ms)).toFixed(1)}x`,
        },
        { label: 'dbops plan peak RSS', value: mb(m.plan.rssKb) },
        { label: 'dbops validate peak RSS', value: mb(m.validate.rssKb) },
        { label: 'node -e "" peak RSS', value: mb(m.node.rssKb) },
      ],
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
