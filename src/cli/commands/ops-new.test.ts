import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../errors.js';
import { postgresDoc, redisDoc } from '../../manifests/fixtures.js';
import { loadDesiredState } from '../../manifests/load.js';
import { renderOpsRequest } from '../../manifests/render-ops.js';
import { ManualClock } from '../../platform/clock.js';
import { createDirectorySource } from '../../source/local-source.js';
import type { CommandContext } from '../context.js';
import { main } from '../main-cli.js';
import { opsNewCommand } from './ops-new.js';

// Real files in a real temp directory: the command reads, validates and writes a work tree.
let dir: string;
let out: string;
let err: string;
let clock: ManualClock;
const at = Date.UTC(2026, 10, 21, 9, 5, 7);
const stamp = '20261121-090507';

const sink = (onText: (s: string) => void) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      onText(chunk.toString());
      done();
    },
  });
const ctx = (over: Partial<CommandContext> = {}): CommandContext => ({
  env: {},
  cwd: dir,
  stdout: sink((s) => (out += s)),
  stderr: sink((s) => (err += s)),
  clock,
  ...over,
});
const run = (...argv: string[]) => opsNewCommand(argv, ctx());
async function failure(p: Promise<unknown>): Promise<DbopsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DbopsError) return e;
    throw e;
  }
  throw new Error('expected the command to fail');
}

async function writeTree(root: string, files: Record<string, unknown>): Promise<void> {
  for (const [path, doc] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), typeof doc === 'string' ? doc : stringify(doc));
  }
}
const opsFiles = async (root = dir) => readdir(join(root, 'ops')).catch(() => [] as string[]);
async function loadTree(root = dir) {
  const snap = await createDirectorySource({ dir: root, clock }).fetch();
  return loadDesiredState({ files: snap.files, revision: snap.revision });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbops-ops-new-'));
  out = '';
  err = '';
  clock = new ManualClock(at);
  await writeTree(dir, {
    'databases/cache.yaml': redisDoc('cache'),
    'databases/pg.yaml': postgresDoc('pg'),
  });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('dbops ops new writes one OpsRequest file', () => {
  it.each([
    [
      ['cache', '--type', 'VolumeExpansion', '--size', '2Gi'],
      `ops/${stamp}-cache-volumeexpansion.yaml`,
      { type: 'VolumeExpansion', volumeExpansion: { mode: 'Online', bytes: 2 ** 31 } },
      `git add ops/${stamp}-cache-volumeexpansion.yaml && git commit -m 'ops: expand cache to 2Gi (Online)'`,
    ],
    [
      [
        'pg',
        '--type',
        'VolumeExpansion',
        '--size',
        '1536Mi',
        '--mode',
        'Offline',
        '--timeout',
        '10m',
        '--apply',
        'Always',
      ],
      `ops/${stamp}-pg-volumeexpansion.yaml`,
      {
        kind: 'PostgresOpsRequest',
        volumeExpansion: { mode: 'Offline', bytes: 1536 * 2 ** 20 },
        timeoutMs: 600_000,
        apply: 'Always',
      },
      `git add ops/${stamp}-pg-volumeexpansion.yaml && git commit -m 'ops: expand pg to 1536Mi (Offline)'`,
    ],
    [
      [
        'cache',
        '--type',
        'Reconfigure',
        '--set',
        'maxmemory=512mb',
        '--set',
        'maxmemory-policy=allkeys-lru',
      ],
      `ops/${stamp}-cache-reconfigure.yaml`,
      {
        kind: 'RedisOpsRequest',
        configuration: {
          applyConfig: { maxmemory: '512mb', 'maxmemory-policy': 'allkeys-lru' },
          removeCustomConfig: false,
          restart: 'auto',
        },
      },
      `git add ops/${stamp}-cache-reconfigure.yaml && git commit -m 'ops: reconfigure cache (maxmemory, maxmemory-policy)'`,
    ],
    [
      [
        'pg',
        '--type',
        'Reconfigure',
        '--set',
        'search_path="$user", public',
        '--set',
        'work_mem=64MB',
      ],
      `ops/${stamp}-pg-reconfigure.yaml`,
      {
        configuration: {
          applyConfig: { search_path: '"$user", public', work_mem: '64MB' },
          removeCustomConfig: false,
          restart: 'auto',
        },
      },
      `git add ops/${stamp}-pg-reconfigure.yaml && git commit -m 'ops: reconfigure pg (search_path, work_mem)'`,
    ],
    [
      ['pg', '--type', 'Restart', '--timeout', '90s'],
      `ops/${stamp}-pg-restart.yaml`,
      { type: 'Restart', timeoutMs: 90_000, apply: 'IfReady' },
      `git add ops/${stamp}-pg-restart.yaml && git commit -m 'ops: restart pg'`,
    ],
  ])('%j -> %s', async (argv, path, loaded, git) => {
    expect(await run(...argv)).toBe(0);
    expect(out).toBe(`wrote ${path}\nnext: ${git}\n`);
    expect(err).toBe('');
    const desired = await loadTree();
    expect(desired.errors).toEqual([]);
    expect(desired.warnings).toEqual([]);
    expect(desired.opsRequests).toEqual([
      expect.objectContaining({
        database: argv[0],
        origin: expect.objectContaining({ file: path }) as unknown,
        ...loaded,
      }),
    ]);
  });

  it('writes exactly what the shared renderer renders, with the time of the clock', async () => {
    await run('cache', '--type', 'VolumeExpansion', '--size', '2Gi');
    const want = renderOpsRequest({
      databaseKind: 'Redis',
      database: 'cache',
      type: 'VolumeExpansion',
      at,
      volumeExpansion: { mode: 'Online', bytes: 2 ** 31 },
    });
    expect(await readFile(join(dir, want.path), 'utf8')).toBe(want.text);
    expect(await readdir(join(dir, 'ops'))).toEqual([`${stamp}-cache-volumeexpansion.yaml`]);
  });

  it('reads uncommitted files under --repo and --path, and says how to commit from elsewhere', async () => {
    const repo = join(dir, 'work tree');
    await writeTree(join(repo, 'deploy'), { 'databases/queue.yaml': redisDoc('queue') });
    const argv = ['queue', '--type', 'Restart', '--repo', 'work tree', '--path', 'deploy'];
    expect(await run(...argv)).toBe(0);
    const path = `ops/${stamp}-queue-restart.yaml`;
    expect(await readdir(join(repo, 'deploy', 'ops'))).toEqual([`${stamp}-queue-restart.yaml`]);
    expect(out).toBe(
      `wrote work tree/deploy/${path}\nnext: git -C 'work tree' add deploy/${path} && git -C 'work tree' commit -m 'ops: restart queue'\n`,
    );
  });

  it('--dry-run prints the file and its path and writes nothing', async () => {
    expect(await run('cache', '--type', 'Reconfigure', '--set', 'maxmemory=1gb', '--dry-run')).toBe(
      0,
    );
    const path = `ops/${stamp}-cache-reconfigure.yaml`;
    expect(out).toMatch(new RegExp(`^would write ${path} \\(dry run: nothing written\\)\n\n`));
    expect(out).toContain('kind: RedisOpsRequest\n');
    expect(out).toContain('redis.conf: maxmemory 1gb\n');
    expect(await opsFiles()).toEqual([]);
  });
});

describe('dbops ops new refuses, and writes nothing', () => {
  const refused = async (argv: string[], message: RegExp) => {
    const e = await failure(run(...argv));
    expect(e.code).toBe(codes.usage);
    expect(e.message).toMatch(message);
    expect(out).toBe('');
    expect(await opsFiles()).toEqual([]);
  };

  it('a database that is not in the manifests, naming the ones there', async () => {
    const e = await failure(run('nope', '--type', 'Restart'));
    expect(e.message).toMatch(/no database 'nope'/);
    expect(e.hint).toMatch(/databases there: cache, pg/);
    expect(await opsFiles()).toEqual([]);
  });

  it('a database whose manifests have errors, printing them', async () => {
    await writeTree(dir, {
      'databases/cache.yaml': redisDoc('cache', {
        storage: { resources: { requests: { storage: '1GB' } } },
      }),
    });
    await refused(['cache', '--type', 'Restart'], /database cache have errors/);
    expect(err).toMatch(
      /^error: databases\/cache\.yaml:\d+:\d+ spec\.storage\.resources\.requests\.storage: /,
    );
  });

  it('a file that exists already, leaving it untouched', async () => {
    expect(await run('cache', '--type', 'Restart')).toBe(0);
    const path = join(dir, `ops/${stamp}-cache-restart.yaml`);
    await writeFile(path, '# edited by hand\n');
    out = '';
    await expect(run('cache', '--type', 'Restart')).rejects.toThrow(
      /already exists: OpsRequest files are never overwritten/,
    );
    expect(await readFile(path, 'utf8')).toBe('# edited by hand\n');
    clock.advance(1000);
    expect(await run('cache', '--type', 'Restart')).toBe(0);
    expect(await opsFiles()).toHaveLength(2);
  });

  it.each([
    [['cache', '--type', 'VolumeExpansion', '--size', '2GB'], /--size '2GB' is not valid/],
    [
      ['cache', '--type', 'VolumeExpansion', '--size', '0'],
      /--size '0' is not valid: expected a size above 0/,
    ],
    [['cache', '--type', 'VolumeExpansion'], /--size is required/],
    [['cache', '--type', 'VolumeExpansion', '--size', '2Gi', '--mode', 'Later'], /--mode 'Later'/],
    [['cache', '--type', 'Restart', '--size', '2Gi'], /--size is only for --type VolumeExpansion/],
    [['cache', '--type', 'Restart', '--set', 'a=b'], /--set is only for --type Reconfigure/],
    [['cache', '--type', 'Reconfigure'], /--set KEY=VALUE is required/],
    [
      ['cache', '--type', 'Reconfigure', '--set', 'maxmemory'],
      /--set 'maxmemory' is not valid: expected KEY=VALUE/,
    ],
    [['cache', '--type', 'Reconfigure', '--set', 'a=1', '--set', 'a=2'], /each key once/],
    [['cache', '--type', 'Scale'], /--type 'Scale'/],
    [['cache'], /--type is required/],
    [['--type', 'Restart'], /the database is missing/],
    [['Cache_1', '--type', 'Restart'], /'Cache_1' is not a database name/],
    [['cache', 'pg', '--type', 'Restart'], /unexpected argument 'pg'/],
    [['cache', '--type', 'Restart', '--timeout', 'soon'], /--timeout 'soon'/],
    [['cache', '--type', 'Restart', '--timeout', '0'], /--timeout '0'/],
    [['cache', '--type', 'Restart', '--apply', 'Never'], /--apply 'Never'/],
    [['cache', '--type', 'Restart', '--path', '../x'], /--path '..\/x'/],
    [['cache', '--type', 'Restart', '--force'], /unknown option '--force'/i],
  ])('bad flags %j', (argv, message) => refused(argv, message));

  it('an escape sequence smuggled into a value, with file, line and field', async () => {
    await refused(
      ['cache', '--type', 'Reconfigure', '--set', 'maxmemory=1\\ninclude /etc/x'],
      /would not be valid as given: nothing was written/,
    );
    expect(err).toMatch(
      new RegExp(
        `^error: ops/${stamp}-cache-reconfigure\\.yaml:\\d+:\\d+ spec\\.configuration\\.applyConfig\\["redis\\.conf"\\]: line 1 of redis\\.conf: the value of "maxmemory" contains an escape sequence`,
      ),
    );
  });

  it('a new line in a value', () =>
    refused(
      ['cache', '--type', 'Reconfigure', '--set', 'maxmemory=1\ninclude /etc/x'],
      /spans several lines/,
    ));

  it('a directive dbops manages itself', async () => {
    await refused(
      ['pg', '--type', 'Reconfigure', '--set', 'archive_command=curl evil'],
      /nothing was written/,
    );
    expect(err).toMatch(
      /"archive_command" is managed by dbops or unsafe .*\(DBOPS_E_FORBIDDEN_CONFIG\)/,
    );
  });

  it('an expansion below the current size, which would do nothing', async () => {
    await refused(['cache', '--type', 'VolumeExpansion', '--size', '512Mi'], /nothing was written/);
    expect(err).toMatch(/^note: .*asks for 512Mi, below the current 1Gi: volumes never shrink/);
  });

  it('the same in a dry run', () =>
    refused(
      ['cache', '--type', 'Reconfigure', '--set', 'dir=/tmp', '--dry-run'],
      /nothing was written/,
    ));
});

describe('dbops ops new from the command line', () => {
  it('is a usage error (exit 2) through main, and the ops help shows it', async () => {
    expect(await main(['ops', 'new', 'nope', '--type', 'Restart'], ctx())).toBe(2);
    expect(err).toMatch(
      /^dbops ops: there is no database 'nope' .*\(DBOPS_E_USAGE\)\n {2}databases there: cache, pg/,
    );
    expect(await main(['ops', '--help'], ctx())).toBe(0);
    expect(out).toContain('dbops ops new DATABASE --type VolumeExpansion --size SIZE');
    expect(out).toContain('Usage: dbops ops list');
    expect(await main(['ops', 'new', 'cache', '--type', 'Restart'], ctx())).toBe(0);
    expect(await opsFiles()).toEqual([`${stamp}-cache-restart.yaml`]);
  });
});
