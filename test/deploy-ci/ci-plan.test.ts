// deploy/ci/: the GitHub workflow passes actionlint (and a broken copy does not), and
// dbops-plan.sh posts one comment per pull/merge request and edits it in place, against an
// in-memory stand-in of the GitHub and GitLab comment APIs (./forge-server.ts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, writeFiles } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';
import { botName, startForgeServer, type Comment, type ForgeServer } from './forge-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'deploy/ci/dbops-plan.sh');
const workflow = join(root, 'deploy/ci/github-actions-plan.yml');
const marker = '<!-- dbops-plan -->';
const token = 'tok-5f0c1e9a-never-print-me';
const realDbops = `${process.execPath} --import tsx ${join(root, 'src/cli/bin.ts')}`;
const bash = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();

// actionlint comes from test/ci-tools/build-actionlint.sh (the version is read from it).
const version = /^VERSION=(\S+)$/m.exec(
  readFileSync(join(root, 'test/ci-tools/build-actionlint.sh'), 'utf8'),
)?.[1];
const toolsCache = process.env.DBOPS_TOOLS_CACHE ?? join(homedir(), '.cache/dbops/tools');
const actionlint = join(toolsCache, `actionlint-${version}`, 'bin/actionlint');
const actionlintSkip =
  existsSync(actionlint) || process.env.CI
    ? ''
    : `${actionlint} is not built: run bash test/ci-tools/build-actionlint.sh`;

const planExists =
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'plan', '--help'], {
    cwd: root,
    timeout: 60_000,
  }).status === 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, env, timeout: 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Reverses jq's @html (jq 1.6 writes &apos;, 1.7 &#39;), to find an error text in a comment.
const unhtml = (s: string) =>
  s.replace(
    /&(amp|lt|gt|quot|apos|#39);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" })[e] ?? '',
  );

describe.skipIf(actionlintSkip !== '')(
  `actionlint on deploy/ci/github-actions-plan.yml${actionlintSkip ? ` (skipped: ${actionlintSkip})` : ''}`,
  () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'dbops-actionlint-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('passes the workflow', async () => {
      expect(
        existsSync(actionlint),
        `${actionlint} is missing and CI is set: .ci/run builds it with test/ci-tools/build-actionlint.sh`,
      ).toBe(true);
      const r = await exec(actionlint, ['-no-color', workflow]);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    });

    // The check is shown to work: each break is one that GitHub would reject too.
    it.each([
      [
        'runs-on from a matrix the job lacks',
        'runs-on: ubuntu-latest',
        'runs-on: ${{ matrix.os }}',
        /"os" is not defined/,
      ],
      [
        'an unknown context',
        '${{ secrets.GITHUB_TOKEN }}',
        '${{ secret.GITHUB_TOKEN }}',
        /undefined variable "secret"/,
      ],
      [
        'an unclosed expression',
        '${{ github.repository }}',
        '${{ github.repository',
        /unexpected EOF while lexing expression/,
      ],
    ])('fails a copy with %s', async (_what, from, to, message) => {
      const text = readFileSync(workflow, 'utf8');
      expect(text).toContain(from);
      const broken = join(dir, `broken-${Math.random().toString(36).slice(2)}.yml`);
      await writeFile(broken, text.replace(from, to));
      const r = await exec(actionlint, ['-no-color', broken]);
      expect(r.stdout).toMatch(message);
      expect(r.code).toBe(1);
    });
  },
);

describe('deploy/ci/dbops-plan.sh: one comment per request, edited in place', () => {
  let dir: string;
  let repo: string;
  let server: ForgeServer;
  let standin: string;
  // base0: the merge base; main moved on (main1); the change's pushes head1, head2; bad: an
  // invalid manifest.
  const rev = { base0: '', main1: '', head1: '', head2: '', bad: '' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbops-ci-plan-'));
    repo = join(dir, 'desired');
    await git(dir, 'init', '--quiet', '-b', 'main', repo);
    const commit = async (files: Record<string, string>, message: string) => {
      await writeFiles(repo, files);
      await git(repo, 'add', '-A');
      await git(repo, 'commit', '--quiet', '-m', message);
      return git(repo, 'rev-parse', 'HEAD');
    };
    const cache = (storage: string) => ({
      'databases/cache.yaml': redisStandalone('cache', { storage }),
    });
    rev.base0 = await commit(cache('256Mi'), 'cache: 256Mi');
    await git(repo, 'checkout', '--quiet', '-b', 'grow');
    rev.head1 = await commit(cache('512Mi'), 'cache: 512Mi');
    rev.head2 = await commit(cache('1Gi'), 'cache: 1Gi');
    await git(repo, 'checkout', '--quiet', '-b', 'bad', rev.base0);
    rev.bad = await commit(cache('10Zi'), 'cache: 10Zi');
    await git(repo, 'checkout', '--quiet', 'main');
    rev.main1 = await commit({ 'README.md': 'desired state\n' }, 'readme');

    // dbops plan's contract, for the cases about the comment rather than the plan: Markdown on
    // stdout, exit 0 allowed, 1 denied, 2 bad input with the message on stderr. It notes its
    // arguments and environment.
    standin = join(dir, 'dbops-standin');
    await writeFile(
      standin,
      `#!/usr/bin/env bash
env >"$STANDIN_LOG/env"
printf '%s\\n' "$@" >"$STANDIN_LOG/args"
if [ "\${STANDIN_EXIT:-0}" = 2 ]; then
  echo "dbops: --head: <no such thing> & \\"quoted\\" 'too'" >&2
  exit 2
fi
printf '## Plan\\n\\n\`%s\` "quoted" \\\\ back-slash $(not-run) ünïcödé\\n' "$*"
exit "\${STANDIN_EXIT:-0}"
`,
      { mode: 0o755 },
    );
    server = await startForgeServer(token);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the script with a complete GitHub environment plus `over` (undefined removes). */
  async function plan(over: Record<string, string | undefined> = {}) {
    const log = await mkdtemp(join(dir, 'run-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DBOPS_LOG_LEVEL: 'warn',
      DBOPS: standin,
      DBOPS_PLAN_FORGE: 'github',
      DBOPS_PLAN_API_URL: server.githubUrl,
      DBOPS_PLAN_TOKEN: token,
      DBOPS_PLAN_PROJECT: 'acme/desired',
      DBOPS_PLAN_NUMBER: '1',
      DBOPS_PLAN_BASE: 'main',
      DBOPS_PLAN_HEAD: rev.head1,
      DBOPS_PLAN_REPO: repo,
      STANDIN_LOG: log,
      ...over,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const sent = server.requests.length;
    const r = await exec(bash, [script], env);
    // Whatever happens, the token is not printed.
    expect(r.stdout + r.stderr).not.toContain(token);
    if (env.DBOPS_PLAN_TOKEN) expect(r.stdout + r.stderr).not.toContain(env.DBOPS_PLAN_TOKEN);
    const read = (f: string) => readFile(join(log, f), 'utf8').catch(() => undefined);
    return {
      ...r,
      requests: server.requests.slice(sent),
      args: (await read('args'))?.trimEnd().split('\n'),
      dbopsEnv: await read('env'),
    };
  }
  const mine = (list: Comment[]) => list.filter((c) => c.body.startsWith(`${marker}\n`));
  const calls = (r: { requests: { method: string; page: number }[] }) =>
    r.requests.map((q) => `${q.method}${q.method === 'GET' ? ` page ${q.page}` : ''}`);

  describe('GitHub', () => {
    it('the first run creates one comment: the marker, then the plan of merge base..head', async () => {
      const thread = server.github('acme/desired', 1);
      const r = await plan();
      expect(r.stderr).toContain('created comment');
      expect(r.code).toBe(0);
      expect(r.args).toEqual([
        'plan',
        '--repo',
        repo,
        '--base',
        rev.base0,
        '--head',
        rev.head1,
        '--format',
        'markdown',
      ]);
      expect(calls(r)).toEqual(['GET page 1', 'POST']);
      expect(r.requests.every((q) => q.authorized)).toBe(true);
      expect(thread).toHaveLength(1);
      expect(thread[0]!.body).toBe(
        `${marker}\n## Plan\n\n\`${r.args!.join(' ')}\` "quoted" \\ back-slash $(not-run) ünïcödé\n\n` +
          `<sub>dbops plan of \`${rev.head1.slice(0, 12)}\` against the merge base ` +
          `\`${rev.base0.slice(0, 12)}\`. This comment is updated on every push.</sub>\n`,
      );
      // The job log has the plan; dbops itself never sees the token.
      expect(r.stdout).toContain('## Plan');
      expect(r.dbopsEnv).toBeDefined();
      expect(r.dbopsEnv).not.toContain(token);
    });

    it('a later push edits that comment in place (PATCH): still one comment', async () => {
      const thread = server.github('acme/desired', 2);
      await plan({ DBOPS_PLAN_NUMBER: '2' });
      const id = thread[0]!.id;
      const r = await plan({ DBOPS_PLAN_NUMBER: '2', DBOPS_PLAN_HEAD: rev.head2 });
      expect(r.code).toBe(0);
      expect(calls(r)).toEqual(['GET page 1', 'PATCH']);
      expect(r.requests[1]!.path).toBe(`/api/v3/repos/acme/desired/issues/comments/${id}`);
      expect(thread).toHaveLength(1);
      expect(thread[0]!.body).toContain(rev.head2);
      expect(thread[0]!.body).not.toContain(rev.head1);
    });

    it('leaves other comments alone, also one that quotes the marker', async () => {
      const thread = server.github('acme/desired', 3);
      server.seed(thread, `> ${marker}\n> ## Plan\nLooks fine to me.`);
      const plain = server.seed(thread, 'Please also raise maxmemory.');
      await plan({ DBOPS_PLAN_NUMBER: '3' });
      await plan({ DBOPS_PLAN_NUMBER: '3', DBOPS_PLAN_HEAD: rev.head2 });
      expect(thread).toHaveLength(3);
      expect(thread[0]!.body).toBe(`> ${marker}\n> ## Plan\nLooks fine to me.`);
      expect(thread[1]!.body).toBe('Please also raise maxmemory.');
      expect(plain.author).toBe('someone');
      expect(mine(thread).map((c) => c.author)).toEqual([botName]);
    });

    it('finds its comment on page 2 (Link header) and edits it: no second comment', async () => {
      const thread = server.github('acme/desired', 4);
      for (let i = 0; i < 100; i++) server.seed(thread, `comment ${i}`);
      const own = server.seed(thread, `${marker}\nan old plan`, { author: botName });
      for (let i = 0; i < 5; i++) server.seed(thread, `later ${i}`);
      const r = await plan({ DBOPS_PLAN_NUMBER: '4' });
      expect(r.code).toBe(0);
      expect(calls(r)).toEqual(['GET page 1', 'GET page 2', 'PATCH']);
      expect(r.requests[2]!.path).toMatch(new RegExp(`/comments/${own.id}$`));
      expect(thread).toHaveLength(106);
      expect(mine(thread)).toEqual([own]);
      expect(own.body).toContain(rev.head1);
    });

    it('denied (dbops exits 1): the comment is posted, then the job fails', async () => {
      const thread = server.github('acme/desired', 5);
      const r = await plan({ DBOPS_PLAN_NUMBER: '5', STANDIN_EXIT: '1' });
      expect(calls(r)).toEqual(['GET page 1', 'POST']);
      expect(thread[0]!.body).toContain('## Plan');
      expect(r.code).toBe(1);
    });

    it('bad input (dbops exits 2): the comment says so with the error; the next push replaces it', async () => {
      const thread = server.github('acme/desired', 6);
      const r = await plan({ DBOPS_PLAN_NUMBER: '6', STANDIN_EXIT: '2' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('<no such thing>');
      expect(thread).toHaveLength(1);
      expect(thread[0]!.body).toContain('**The dbops plan could not be made**');
      expect(thread[0]!.body).not.toContain('<no such thing>');
      expect(unhtml(thread[0]!.body)).toContain(`dbops: --head: <no such thing> & "quoted" 'too'`);
      const fixed = await plan({ DBOPS_PLAN_NUMBER: '6', DBOPS_PLAN_HEAD: rev.head2 });
      expect(fixed.code).toBe(0);
      expect(thread).toHaveLength(1);
      expect(thread[0]!.body).toContain('## Plan');
    });

    it('a head the clone lacks: exit 2, and the comment says to fetch the history', async () => {
      const thread = server.github('acme/desired', 7);
      const r = await plan({ DBOPS_PLAN_NUMBER: '7', DBOPS_PLAN_HEAD: 'f'.repeat(40) });
      expect(r.code).toBe(2);
      expect(r.args).toBeUndefined();
      expect(thread[0]!.body).toContain('could not be made');
      expect(thread[0]!.body).toContain('fetch-depth: 0');
    });

    it.each([
      'DBOPS_PLAN_FORGE',
      'DBOPS_PLAN_API_URL',
      'DBOPS_PLAN_TOKEN',
      'DBOPS_PLAN_PROJECT',
      'DBOPS_PLAN_NUMBER',
      'DBOPS_PLAN_BASE',
      'DBOPS_PLAN_HEAD',
    ])('without %s: exit 2 naming it, nothing sent, dbops not run', async (name) => {
      const r = await plan({ DBOPS_PLAN_NUMBER: '8', [name]: undefined });
      expect(r.stderr).toMatch(new RegExp(`^dbops-plan: ${name} not set`, 'm'));
      expect(r.code).toBe(2);
      expect(r.requests).toEqual([]);
      expect(r.args).toBeUndefined();
    });

    it('without jq: exit 2 saying it is needed', async () => {
      const r = await plan({ PATH: await mkdtemp(join(dir, 'empty-path-')) });
      expect(r.stderr).toMatch(/jq is required but not installed/);
      expect(r.code).toBe(2);
      expect(r.requests).toEqual([]);
    });

    it("a token the API refuses: exit 3 with the API's message, the token not printed", async () => {
      server.github('acme/desired', 9);
      const wrong = 'wrong-token-0c4f2b';
      const r = await plan({ DBOPS_PLAN_NUMBER: '9', DBOPS_PLAN_TOKEN: wrong });
      expect(r.stderr).toMatch(/HTTP 401: Bad credentials/);
      expect(r.stderr).toMatch(/pull-requests: write/);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).not.toContain(wrong);
    });
  });

  describe('GitLab', () => {
    const gitlab = (iid: number, over: Record<string, string | undefined> = {}) =>
      plan({
        DBOPS_PLAN_FORGE: 'gitlab',
        DBOPS_PLAN_API_URL: server.gitlabUrl,
        DBOPS_PLAN_PROJECT: 'group/desired',
        DBOPS_PLAN_NUMBER: String(iid),
        ...over,
      });

    it('creates one note, then edits it in place (PUT); system and other notes untouched', async () => {
      const notes = server.gitlab('group/desired', 1);
      server.seed(notes, 'added 1 commit', { author: 'root', system: true });
      server.seed(notes, 'LGTM');
      const first = await gitlab(1);
      expect(first.code).toBe(0);
      expect(calls(first)).toEqual(['GET page 1', 'POST']);
      expect(first.requests[0]!.path).toBe(
        '/api/v4/projects/group%2Fdesired/merge_requests/1/notes',
      );
      const id = mine(notes)[0]!.id;
      const second = await gitlab(1, { DBOPS_PLAN_HEAD: rev.head2 });
      expect(second.code).toBe(0);
      expect(calls(second)).toEqual(['GET page 1', 'PUT']);
      expect(second.requests[1]!.path).toMatch(new RegExp(`/notes/${id}$`));
      expect(notes.map((n) => n.body.split('\n')[0])).toEqual(['added 1 commit', 'LGTM', marker]);
      expect(mine(notes)[0]!.body).toContain(rev.head2);
      expect(second.requests.every((q) => q.authorized)).toBe(true);
    });

    it('finds its note on page 2 and edits it', async () => {
      const notes = server.gitlab('group/desired', 2);
      for (let i = 0; i < 120; i++) server.seed(notes, `note ${i}`);
      const own = server.seed(notes, `${marker}\nan old plan`, { author: botName });
      for (let i = 0; i < 30; i++) server.seed(notes, `later ${i}`);
      const r = await gitlab(2);
      expect(r.code).toBe(0);
      expect(calls(r)).toEqual(['GET page 1', 'GET page 2', 'PUT']);
      expect(mine(notes)).toEqual([own]);
      expect(notes).toHaveLength(151);
    });

    it('a numeric project ID works as well', async () => {
      const notes = server.gitlab('42', 3);
      const r = await gitlab(3, { DBOPS_PLAN_PROJECT: '42' });
      expect(r.code).toBe(0);
      expect(mine(notes)).toHaveLength(1);
    });
  });

  describe('with the real dbops plan', () => {
    const reason = planExists ? '' : ' (skipped: dbops plan not built yet)';
    // What `dbops plan` itself says, to compare the comment with.
    const directPlan = (head: string) => {
      const args = ['plan', '--repo', repo, '--base', rev.base0, '--head', head];
      return exec(
        process.execPath,
        ['--import', 'tsx', 'src/cli/bin.ts', ...args, '--format', 'markdown'],
        {
          ...process.env,
          DBOPS_LOG_LEVEL: 'warn',
        },
      );
    };

    it.skipIf(!planExists)(`posts the plan of a storage raise${reason}`, async () => {
      const direct = await directPlan(rev.head1);
      expect(direct.code).toBe(0);
      expect(direct.stdout).toContain('cache');
      const thread = server.github('acme/desired', 20);
      const r = await plan({ DBOPS_PLAN_NUMBER: '20', DBOPS: realDbops });
      expect(r.code).toBe(0);
      expect(thread).toHaveLength(1);
      expect(thread[0]!.body.startsWith(`${marker}\n${direct.stdout.trimEnd()}\n\n<sub>`)).toBe(
        true,
      );
    });

    it.skipIf(!planExists)(
      `an invalid manifest at head: the comment and the exit status follow dbops plan${reason}`,
      async () => {
        const direct = await directPlan(rev.bad);
        expect([1, 2]).toContain(direct.code);
        const thread = server.github('acme/desired', 21);
        const r = await plan({
          DBOPS_PLAN_NUMBER: '21',
          DBOPS: realDbops,
          DBOPS_PLAN_HEAD: rev.bad,
        });
        expect(r.code).toBe(direct.code);
        expect(thread).toHaveLength(1);
        if (direct.code === 1) {
          expect(thread[0]!.body.startsWith(`${marker}\n${direct.stdout.trimEnd()}`)).toBe(true);
        } else {
          expect(thread[0]!.body).toContain('could not be made');
          expect(unhtml(thread[0]!.body)).toContain(direct.stderr.trim().split('\n')[0]!);
        }
      },
    );
  });
});
