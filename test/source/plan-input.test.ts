import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbops } from '../helpers/cli-in-process.js';
import { git, writeFiles } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

const policy = (name: string, body: string) => `apiVersion: policy.dbops.dev/v1alpha1
kind: DatabasePolicy
metadata:
  name: ${name}
spec:
${body}`;

/**
 * dbops plan on bad input, on a real repository: every case exits 2 with an error that names
 * the file, line and field (or the revision), and prints no plan.
 */
describe('dbops plan: bad input is refused with exit 2 and a located error', () => {
  let dir = '';
  let repo = '';
  let base = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbops-plan-input-'));
    repo = join(dir, 'repo');
    await git(dir, 'init', '--quiet', '-b', 'main', 'repo');
    await writeFiles(repo, { 'databases/cache.yaml': redisStandalone('cache') });
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', 'cache');
    base = await git(repo, 'rev-parse', 'HEAD');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Commits `files` on a branch of its own from the base; returns the branch name. */
  async function head(name: string, files: Record<string, string>): Promise<string> {
    await git(repo, 'checkout', '--quiet', '-B', name, base);
    await writeFiles(repo, files);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', name);
    return name;
  }

  it.each([
    {
      name: 'an unknown rule type',
      file: policy('typo', '  stroage: { max: 1Gi }\n'),
      want: /policies\/p\.yaml:6:\d+ spec\.stroage: .*Did you mean "storage"/,
    },
    {
      name: 'a malformed window',
      file: policy(
        'nights',
        '  changeWindow:\n    windows:\n      - { schedule: "0 25 * * *", duration: 1h }\n',
      ),
      want: /policies\/p\.yaml:8:\d+ spec\.changeWindow\.windows\[0\]\.schedule: /,
    },
    {
      name: 'a CEL expression that does not compile',
      file: policy('broken', '  cel:\n    expression: "database.storageBytes >"\n    message: x\n'),
      want: /policies\/p\.yaml:7:\d+ spec\.cel\.expression: /,
    },
    {
      name: 'a CEL expression that does not return a boolean',
      file: policy(
        'number',
        '  cel:\n    expression: "database.storageBytes + 1"\n    message: x\n',
      ),
      want: /policies\/p\.yaml:7:\d+ spec\.cel\.expression: .*bool/,
    },
    {
      name: 'a policy that contradicts itself',
      file: policy('upside-down', '  storage: { min: 2Gi, max: 1Gi }\n'),
      want: /policies\/p\.yaml:6:\d+ spec\.storage.*: .*min/,
    },
    {
      name: 'a repository policy that would loosen a built-in one',
      file: policy('no-shrink', '  noShrink: true\n'),
      want: /policies\/p\.yaml:4:\d+ metadata\.name: .*no-shrink/,
    },
  ])('$name', async ({ file, want }) => {
    const branch = await head(`bad-${Math.random().toString(36).slice(2, 8)}`, {
      'policies/p.yaml': file,
    });
    const r = await dbops(repo, 'plan', '--base', base, '--head', branch);
    expect(r.out).toBe('');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(want);
    expect(r.err).toMatch(/error\(s\) in the policy files/);
  });

  it.each([
    { argv: ['--base', 'nope', '--head', 'main'], want: /revision 'nope' does not exist/ },
    {
      argv: ['--base', 'main~5', '--head', 'main'],
      want: /revision 'main~5' goes past the first commit/,
    },
    { argv: ['--head', 'main'], want: /--base is required/ },
    { argv: ['--base', 'main', '--head', 'main', '--format', 'yaml'], want: /format/ },
    { argv: ['--base', 'main', '--head', 'main', '--bogus'], want: /Unknown option '--bogus'/ },
  ])('$argv.2 $argv.3 $argv.4: exit 2', async ({ argv, want }) => {
    await git(repo, 'checkout', '--quiet', 'main');
    const r = await dbops(repo, 'plan', ...argv);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(want);
  });

  it('is not a repository: exit 2 saying so', async () => {
    const r = await dbops(dir, 'plan', '--base', 'main', '--head', 'main');
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toMatch(/is not a Git repository/);
  });

  it('reads abbreviated ids, branches and ancestors; an unchanged plan is allowed', async () => {
    await git(repo, 'checkout', '--quiet', 'main');
    const r = await dbops(repo, 'plan', '--base', base.slice(0, 7), '--head', 'HEAD~0');
    expect(r.err).toBe('');
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(/no database changes, 1 unchanged/);
  });
});
