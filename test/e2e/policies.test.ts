import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/platform/clock.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { git, writeFiles } from '../helpers/git-work.js';
import { opsRequest, redisStandalone } from '../helpers/manifests.js';
import { dbops } from '../helpers/cli-in-process.js';

/** The system clock moved by `offset` ms: real sleeps, a wall time the test chooses. */
class ShiftedClock implements Clock {
  offset = 0;
  now = () => Date.now() + this.offset;
  sleep = (ms: number, signal?: AbortSignal) => systemClock.sleep(ms, signal);
  /** Makes now() read `at` (epoch ms); only ever moves forward. */
  set(at: number) {
    this.offset = Math.max(this.offset, at - Date.now());
  }
}

const policies = `apiVersion: policy.dbops.dev/v1alpha1
kind: DatabasePolicy
metadata:
  name: session-storage-cap
spec:
  description: session is a cache; it has no business above 512Mi
  match:
    databases: [session]
  storage: { max: 512Mi }
---
apiVersion: policy.dbops.dev/v1alpha1
kind: DatabasePolicy
metadata:
  name: cache-restarts-at-night
spec:
  match:
    databases: [cache]
  changeWindow:
    windows:
      - { schedule: "0 2 * * *", duration: 1h }
`;

/** The next 02:00 UTC after `t`. */
function nextTwoAm(t: number): number {
  const d = new Date(t);
  const at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 2, 0, 0);
  return at > t ? at : at + 24 * 3600_000;
}

describe('policies at apply time: a commit pushed without a pull request meets the same rules', () => {
  const clock = new ShiftedClock();
  const opening = nextTwoAm(Date.now());
  let env: TestEnv;
  let work: string;
  let repo: string;

  beforeAll(async () => {
    clock.set(opening - 3600_000); // 01:00 UTC: the window is closed
    env = await startEnv(
      {
        'databases/session.yaml': redisStandalone('session'),
        'databases/cache.yaml': redisStandalone('cache', { config: 'maxmemory-policy noeviction' }),
        'policies/team.yaml': policies,
      },
      { clock },
    );
    await env.until(
      'ready',
      (s) => s.databases.every((d) => d.phase === 'Ready') && s.databases.length === 2,
    );
    work = await mkdtemp(join(tmpdir(), 'dbops-policies-e2e-'));
    repo = join(work, 'repo');
    await git(work, 'clone', '--quiet', env.url, 'repo');
  });
  afterAll(async () => {
    await env?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a denied change: plan exits 1 naming the rule; pushed anyway, that database is not changed and says why, the others go on', async () => {
    await writeFiles(repo, {
      'databases/session.yaml': redisStandalone('session', { storage: '1Gi' }),
      'databases/cache.yaml': redisStandalone('cache', { config: 'maxmemory-policy allkeys-lru' }),
    });
    await git(repo, 'commit', '--quiet', '-am', 'session: 1Gi; cache: lru');
    const plan = await dbops(repo, 'plan', '--base', 'origin/main', '--head', 'HEAD');
    expect(plan.code).toBe(1);
    expect(plan.out).toMatch(
      /DENIED: policy session-storage-cap \(policies\/team\.yaml:1\): storage 1Gi is above the maximum of 512Mi/,
    );
    expect(plan.out).toMatch(
      /cache \(Redis\): changed\n {2}1\. Reconfigure maxmemory-policy noeviction -> allkeys-lru: applied live/,
    );

    const before = db(await env.converge(), 'session').members[0]!.volume.capacityBytes;
    await git(repo, 'push', '--quiet', 'origin', 'HEAD');
    const s = await env.until('cache reconfigured', (x) =>
      x.opsRequests.some((o) => o.database === 'cache' && o.phase === 'Successful'),
    );
    const valid = db(s, 'session').conditions.find((c) => c.type === 'ManifestValid');
    expect(valid).toMatchObject({ status: 'False' });
    expect(valid?.message).toMatch(/policy session-storage-cap \(policies\/team\.yaml:1\)/);
    expect(s.errors.map((e) => e.code)).toContain('DBOPS_E_POLICY_DENIED');
    expect(s.opsRequests.filter((o) => o.database === 'session')).toEqual([]);
    expect(db(s, 'session').members[0]!.volume.capacityBytes).toBe(before);
    expect(db(s, 'session').phase).toBe('Ready');
  });

  it('a closed change window: the restart waits Pending, says when the window opens, and runs when it opens', async () => {
    await writeFiles(repo, {
      'databases/session.yaml': redisStandalone('session'),
      'ops/20261202-010000-cache-restart.yaml': opsRequest(
        'Redis',
        'cache-restart',
        'cache',
        'Restart',
        '',
      ),
    });
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '--quiet', '-m', 'restart cache');
    await git(repo, 'push', '--quiet', 'origin', 'HEAD');
    const pending = await env.until('restart queued', (x) =>
      x.opsRequests.some(
        (o) => o.name === 'cache-restart' && /change window/.test(o.message ?? ''),
      ),
    );
    const op = pending.opsRequests.find((o) => o.name === 'cache-restart')!;
    expect(op.phase).toBe('Pending');
    expect(op.message).toContain(`it waits until ${new Date(opening).toISOString()}`);
    expect(op.message).toContain('policy cache-restarts-at-night (policies/team.yaml:11)');

    clock.set(opening - 2_000); // two seconds before 02:00 UTC
    const s = await env.until('restart ran', (x) =>
      x.opsRequests.some((o) => o.name === 'cache-restart' && o.phase === 'Successful'),
    );
    const ran = s.opsRequests.find((o) => o.name === 'cache-restart')!;
    expect(Date.parse(ran.startedAt!)).toBeGreaterThanOrEqual(opening);
    expect(db(s, 'cache').members[0]!.restarts).toBe(0); // a restart on purpose, not a crash
  });
});
