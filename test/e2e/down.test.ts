import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson } from '../../src/platform/files.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { ensureLoopVolume, probeLoopSupport } from '../../src/runtime/local/loop-volume.js';
import { runDbops, spawnDbops } from '../helpers/cli-process.js';
import { killed, systemLeftovers, waitReady } from '../helpers/controller-process.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { postgres, redisStandalone } from '../helpers/manifests.js';
import { pidsMatching } from '../helpers/processes.js';
import { redisClient } from '../runtime/helpers.js';

const MIB = 1024 * 1024;
const support = await probeLoopSupport({ scratchDir: tmpdir() });
const volumes = support.supported ? 'loop' : 'directory';
const nothing = { processes: [], mounts: [], loops: [] };

describe(`dbops down (${volumes} volumes${support.reason ? `: ${support.reason}` : ''})`, () => {
  let fx: GitFixture;
  let stateDir = '';
  let controller: ChildProcess | undefined;
  const names = ['kv', 'pg'];
  const run = () =>
    spawnDbops([
      'run',
      '--repo',
      fx.url,
      '--state-dir',
      stateDir,
      '--interval',
      '1s',
      '--volumes',
      volumes,
    ]);
  // status.json may still say Ready from the last controller: wait for a connection.
  const kvClient = async () => {
    const s = await waitReady(stateDir, names);
    const port = Number(s.databases.kv!.members[0]!.endpoint.split(':')[1]);
    const creds = await readJson<{ password: string }>(
      join(stateDir, 'runtime', 'kv', 'credentials.json'),
    );
    return waitFor(
      systemClock,
      `kv accepting connections on ${port}`,
      () => redisClient(port, creds!.password).catch(() => undefined),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  };

  beforeAll(async () => {
    fx = await startGitFixture('down', {
      'databases/kv.yaml': redisStandalone('kv', { storage: '300Mi' }),
      'databases/pg.yaml': postgres('pg', { replicas: 1, storage: '300Mi' }),
    });
    stateDir = fx.stateDir;
    controller = run();
    await waitReady(stateDir, names);
  });

  afterAll(async () => {
    if (controller) await killed(controller);
    await fx?.cleanup();
  });

  it('refuses while a controller holds the state dir, and --wipe without a terminal or --yes', async () => {
    const locked = await runDbops(['down', '--state-dir', stateDir]);
    expect(locked.stderr).toMatch(/controller \(pid \d+\) uses the state dir/);
    expect(locked.stderr).toContain('stop that controller first');
    expect(locked.code).toBe(1);
    const unasked = await runDbops(['down', '--wipe', '--state-dir', stateDir]);
    expect(unasked.stderr).toMatch(/stdin is not a terminal[\s\S]*--wipe --yes/);
    expect(unasked.code).toBe(2);
    expect((await waitReady(stateDir, names)).databases.kv?.phase).toBe('Ready');
  });

  it('stops what a killed controller left running, releases every volume, keeps the data', async () => {
    const kv = await kvClient();
    await kv.set('kept', 'across down');
    kv.disconnect();
    await killed(controller!);
    controller = undefined;
    // What a controller killed during a validation or a loop probe leaves in its scratch dir.
    const scratch = join(stateDir, 'runtime', '.scratch');
    const left = join(scratch, 'redis-left');
    await mkdir(left, { recursive: true });
    // As the runtime renders it: the command line keeps the config file's path.
    const conf = `port 0\nunixsocket ${left}/s.sock\ndir ${left}\nsave ""\nset-proc-title no\n`;
    await writeFile(join(left, 'redis.conf'), conf);
    const stray = spawn('redis-server', [join(left, 'redis.conf')], {
      detached: true,
      stdio: 'ignore',
    });
    stray.unref();
    await waitFor(
      systemClock,
      'the stray scratch server listening',
      () =>
        access(join(left, 's.sock')).then(
          () => true,
          () => undefined,
        ),
      { timeoutMs: 10_000 },
    );
    if (support.supported) {
      const probe = join(scratch, 'loop-probe-left');
      const image = join(probe, 'probe.img');
      await ensureLoopVolume({
        image,
        mountPoint: join(probe, 'mnt'),
        bytes: 300 * MIB,
        log: silentLogger(),
      });
    }
    const before = await systemLeftovers(stateDir);
    expect(before.processes.length).toBeGreaterThanOrEqual(3); // redis, postgres, the stray
    if (support.supported) expect(before.mounts).toHaveLength(3);

    const r = await runDbops(['down', '--state-dir', stateDir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Stopping 2 member(s) of 2 database(s) (kv, pg)');
    expect(r.stdout).toContain('Stopped 1 scratch server(s) left behind');
    expect(r.stdout).toContain(`Unmounted ${support.supported ? 3 : 0} loop volume(s)`);
    expect(r.code).toBe(0);
    expect(await systemLeftovers(stateDir)).toEqual(nothing);
    await access(join(stateDir, 'runtime', 'kv', 'credentials.json'));

    const again = await runDbops(['down', '--state-dir', stateDir]);
    expect(again.stdout).toContain('Stopping 0 member(s)');
    expect(again.code).toBe(0);
  });

  it('the next controller mounts the volumes again and serves the same data', async () => {
    controller = run();
    const kv = await kvClient();
    expect(await kv.get('kept')).toBe('across down');
    kv.disconnect();
    if (support.supported) expect((await systemLeftovers(stateDir)).mounts).toHaveLength(2);
  });

  it('down --wipe --yes after a kill -9 leaves no process, mount, loop device or state dir', async () => {
    await killed(controller!);
    controller = undefined;
    expect((await pidsMatching(stateDir)).length).toBeGreaterThanOrEqual(2);
    const r = await runDbops(['down', '--wipe', '--yes', '--state-dir', stateDir]);
    expect(r.stdout).toContain(`Deleted ${stateDir}`);
    expect(r.code).toBe(0);
    expect(await systemLeftovers(stateDir)).toEqual(nothing);
    await expect(access(stateDir)).rejects.toThrow(/ENOENT/);
  });

  it('run --once --stop-on-exit stops the members and unmounts their volumes', async () => {
    const r = await runDbops([
      'run',
      '--once',
      '--stop-on-exit',
      '--repo',
      fx.url,
      '--state-dir',
      stateDir,
      '--volumes',
      volumes,
    ]);
    expect(r.code).toBe(0);
    expect(await systemLeftovers(stateDir)).toEqual(nothing);
    const mf = await readJson<{ volumeType?: string }>(
      join(stateDir, 'runtime', 'kv', 'members', 'kv-0', 'member.json'),
    );
    expect(mf?.volumeType).toBe(volumes);
  });
});
