import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDbops } from '../helpers/cli-process.js';
import { writeFiles } from '../helpers/git-work.js';
import { redisStandalone } from '../helpers/manifests.js';

describe('dbops CLI: bad input gets a clear error and changes nothing', () => {
  let dir: string;
  let silent: Server;
  let silentPort = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dbops-cli-'));
    // A server that accepts connections and never answers: a hung Git remote.
    silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    silent.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('validate: a valid repository passes', async () => {
    const r = await runDbops(['validate', 'examples-repo']);
    expect(r.stdout).toContain('valid: ');
    expect(r.code).toBe(0);
  });

  it('validate: names file, line and field of a bad size and exits 1', async () => {
    const repo = join(dir, 'bad');
    await writeFiles(repo, { 'databases/s.yaml': redisStandalone('s', { storage: '10Zi' }) });
    const r = await runDbops(['validate', repo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /databases\/s\.yaml:10:\d+ spec\.storage\.resources\.requests\.storage/,
    );
  });

  it.each([
    [['run'], 2, /--repo is required/],
    [['run', '--repo', 'file:///tmp/x'], 2, /smart HTTP/i],
    [['run', '--repo', 'x', '--interval', 'soon'], 2, /--interval 'soon'/],
    [['run', '--repo', 'x', '--runtime', 'docker'], 2, /--runtime 'docker'/],
    [['status', '--output', 'yaml'], 2, /--output 'yaml'/],
    [['credentials', '../etc'], 2, /not a database name/],
    [['bogus'], 2, /unknown command 'bogus'/],
    [['schema', 'Nope'], 1, /no schema for kind Nope/],
  ])('%j exits %i', async (args, code, message) => {
    const r = await runDbops([...args, '--state-dir', join(dir, 'state-usage')]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
  });

  it('run --once against a repository that does not answer fails clearly and provisions nothing', async () => {
    const stateDir = join(dir, 'state-hung');
    const r = await runDbops(
      ['run', '--once', '--repo', `http://127.0.0.1:${silentPort}/x.git`, '--state-dir', stateDir],
      {
        DBOPS_GIT_TIMEOUT_MS: '2000',
      },
    );
    expect(r.code).toBe(1);
    const status = await runDbops(['status', '--output', 'json', '--state-dir', stateDir]);
    const doc = JSON.parse(status.stdout) as { sourceError: string; databases: unknown[] };
    expect(doc.sourceError).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/x\.git/);
    expect(doc.databases).toEqual([]);
  });

  it('schema prints a JSON Schema per kind', async () => {
    const r = await runDbops(['schema', 'Redis']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ title: 'Redis' });
    expect(r.stdout).toContain('"storageType"');
  });

  it('doctor lists what it found', async () => {
    const r = await runDbops(['doctor', '--state-dir', join(dir, 'state-doctor')]);
    expect(r.stdout).toMatch(/ok\s+redis-server\s+7\./);
    expect(r.stdout).toMatch(/postgres/);
    expect(r.code).toBe(0);
  });
});
