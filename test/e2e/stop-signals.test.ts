import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { probeLoopSupport } from '../../src/runtime/local/loop-volume.js';
import { isAlive } from '../../src/runtime/local/proc.js';
import { spawnDbops } from '../helpers/cli-process.js';
import { exitedWithin, killed, systemLeftovers, waitReady } from '../helpers/controller-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { postgres, redisStandalone } from '../helpers/manifests.js';
import { pidsMatching } from '../helpers/processes.js';

const support = await probeLoopSupport({ scratchDir: tmpdir() });
const volumes = support.supported ? 'loop' : 'directory';
const nothing = { processes: [], mounts: [], loops: [] };
const root = fileURLToPath(new URL('../../', import.meta.url));
const hasScript = existsSync('/usr/bin/script');

// What a terminal does to a foreground pipeline (`dbops run 2>&1 | tee log`, `npm start | tee
// log`): Ctrl-C signals every process of it, so tee is gone and the pipe closes; closing the
// terminal sends SIGHUP. Each must stop the members cleanly instead of killing the controller.
describe(`stop requests of a controller in a pipe (${volumes} volumes${support.reason ? `: ${support.reason}` : ''})`, () => {
  let fx: GitFixture;
  let child: ChildProcess | undefined;
  const names = ['kv', 'pg'];

  const runArgs = () => [
    'run',
    '--repo',
    fx.url,
    '--state-dir',
    fx.stateDir,
    '--interval',
    '1s',
    '--volumes',
    volumes,
    '--stop-on-exit',
  ];
  // A new controller may write the last one's Ready before its members are back.
  const membersBack = async (since: number) => {
    await waitReady(fx.stateDir, names, { since });
    await waitFor(
      systemClock,
      'the redis and postgres members running',
      async () =>
        (await pidsMatching(join(fx.stateDir, 'runtime'))).length >= 2 ? true : undefined,
      { timeoutMs: 60_000 },
    );
  };
  // Debug logs go to stderr at every round (1 s): a closed pipe is seen at the next one.
  const start = async () => {
    const since = Date.now();
    child = spawnDbops(runArgs(), { DBOPS_LOG_LEVEL: 'debug' });
    child.stdout?.resume();
    child.stderr?.resume();
    await membersBack(since);
    return child;
  };
  const closePipes = (c: ChildProcess) => {
    c.stdout?.destroy();
    c.stderr?.destroy();
  };

  beforeAll(async () => {
    fx = await startGitFixture('signals', {
      'databases/kv.yaml': redisStandalone('kv', { storage: '300Mi' }),
      'databases/pg.yaml': postgres('pg', { replicas: 1, storage: '300Mi' }),
    });
  });
  afterEach(async () => {
    if (child) await killed(child);
    child = undefined;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('the pipe closing (the reader is gone) stops the members and unmounts their volumes', async () => {
    const c = await start();
    closePipes(c);
    expect(await exitedWithin(c, 'dbops run after its pipes closed')).toEqual({
      code: 0,
      signal: null,
    });
    expect(await systemLeftovers(fx.stateDir)).toEqual(nothing);
  });

  it('SIGHUP (the terminal closed) stops cleanly', async () => {
    const c = await start();
    c.kill('SIGHUP');
    expect(await exitedWithin(c, 'dbops run after SIGHUP')).toEqual({ code: 0, signal: null });
    expect(await systemLeftovers(fx.stateDir)).toEqual(nothing);
  });

  it('Ctrl-C of the pipeline: the pipe closed, SIGINT twice, still a clean stop', async () => {
    const c = await start();
    closePipes(c);
    c.kill('SIGINT');
    c.kill('SIGINT');
    expect(await exitedWithin(c, 'dbops run after SIGINT')).toEqual({ code: 0, signal: null });
    expect(await systemLeftovers(fx.stateDir)).toEqual(nothing);
  });

  // script(1) gives the controller a terminal: its logs are pretty, written by a worker
  // thread that dies with the terminal. Killing script closes the terminal: SIGHUP, EIO.
  it.skipIf(!hasScript)(
    'the terminal closing under a pretty-logging controller stops cleanly',
    async () => {
      const since = Date.now();
      const cmd = [process.execPath, '--import', 'tsx', 'src/cli/bin.ts', ...runArgs()]
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      child = spawn('script', ['-qfec', cmd, '/dev/null'], {
        cwd: root,
        env: { ...process.env, DBOPS_LOG_LEVEL: 'info' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdout?.resume();
      child.stderr?.resume();
      await membersBack(since);
      const [controller] = await pidsMatching(fx.stateDir, 'node');
      expect(controller).toBeDefined();
      await killed(child);
      await waitFor(
        systemClock,
        'the controller gone after its terminal closed',
        async () => ((await isAlive(controller!)) ? undefined : true),
        { timeoutMs: 60_000 },
      );
      expect(await systemLeftovers(fx.stateDir)).toEqual(nothing);
    },
  );
});

describe(`dbops demo (npm start) in a pipe (${volumes} volumes)`, () => {
  let fx: GitFixture;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    fx = await startGitFixture('demo-pipe', { 'README.md': 'the demo serves examples-repo\n' });
  });
  afterAll(async () => {
    if (child) await killed(child);
    await fx?.cleanup();
  });

  it('Ctrl-C with tee gone stops every database and unmounts every volume', async () => {
    const stateDir = fx.stateDir;
    child = spawnDbops(['demo', '--state-dir', stateDir], { DBOPS_LOG_LEVEL: 'info' });
    child.stdout?.resume();
    child.stderr?.resume();
    await waitReady(stateDir, ['cache', 'orders', 'session'], { timeoutMs: 110_000 });
    if (support.supported) expect((await systemLeftovers(stateDir)).mounts).toHaveLength(9);
    child.stdout?.destroy();
    child.kill('SIGINT');
    expect(await exitedWithin(child, 'dbops demo after Ctrl-C')).toEqual({
      code: 0,
      signal: null,
    });
    expect(await systemLeftovers(stateDir)).toEqual(nothing);
  }, 180_000);
});
