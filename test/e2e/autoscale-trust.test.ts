import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusDocument } from '../../src/api/status.js';
import { assemble, defaultAutoscale, type Assembly } from '../../src/main.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import {
  autoscaler,
  autoscalerOp,
  fillPast,
  redisClient,
  remoteLog,
} from '../helpers/autoscale.js';
import { db } from '../helpers/env.js';
import { startGitFixture, type GitFixture } from '../helpers/git-fixture.js';
import { redisStandalone } from '../helpers/manifests.js';

const run = promisify(execFile);

/**
 * Trusted commits end to end: the controller applies only revisions whose new commits are
 * signed by a trusted key within its paths; the autoscaler's bot signs its own commits.
 */
describe('trusted commits: signed bot commits are applied, anything else is refused', () => {
  let fx: GitFixture;
  let app: Assembly;
  let tmp: string;
  let gnupg: string;
  const fpr: Record<string, string> = {};
  let good = '';

  const gitEnv = () => ({ ...process.env, GNUPGHOME: gnupg, GIT_CONFIG_NOSYSTEM: '1' });
  const nativeGit = async (cwd: string, ...args: string[]) =>
    (
      await run('git', ['-c', 'user.name=Tester', '-c', 'user.email=t@example.com', ...args], {
        cwd,
        env: gitEnv(),
      })
    ).stdout.trim();

  /** Clones, writes `files`, commits (signed by `signer` when given) and pushes; the new head. */
  async function push(files: Record<string, string>, message: string, signer?: string) {
    const work = await mkdtemp(join(tmp, 'push-'));
    await nativeGit(work, 'clone', '--quiet', fx.url, 'repo');
    const repo = join(work, 'repo');
    for (const [path, content] of Object.entries(files)) {
      await run('mkdir', ['-p', join(repo, path, '..')]);
      await writeFile(join(repo, path), content);
    }
    await nativeGit(repo, 'add', '-A');
    const sign = signer ? ['-c', `user.signingkey=${fpr[signer]}`, 'commit', '-S'] : ['commit'];
    await nativeGit(repo, ...sign, '--quiet', '-m', message);
    await nativeGit(repo, 'push', '--quiet', 'origin', 'HEAD:main');
    const head = await nativeGit(repo, 'rev-parse', 'HEAD');
    await rm(work, { recursive: true, force: true });
    return head;
  }

  /** Puts the branch back at `commit` (a human removing a refused commit from the branch). */
  async function resetTo(commit: string) {
    const work = await mkdtemp(join(tmp, 'reset-'));
    await nativeGit(work, 'clone', '--quiet', fx.url, 'repo');
    await nativeGit(join(work, 'repo'), 'push', '--quiet', '--force', 'origin', `${commit}:main`);
    await rm(work, { recursive: true, force: true });
  }

  const converge = async (): Promise<StatusDocument> => {
    await app.controller.round({ fetch: true });
    await app.controller.idle();
    return app.controller.status();
  };
  const verified = (s: StatusDocument) => s.conditions.find((c) => c.type === 'SourceVerified');

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-trust-e2e-'));
    gnupg = join(tmp, 'gnupg');
    await run('mkdir', ['-m', '700', gnupg]);
    for (const name of ['bot', 'alice', 'stranger']) {
      const pair = await generateKey({
        type: 'ecc',
        curve: 'curve25519Legacy',
        userIDs: [{ name, email: `${name}@example.com` }],
        format: 'armored',
      });
      await writeFile(join(tmp, `${name}.key`), pair.privateKey, { mode: 0o600 });
      await writeFile(join(tmp, `${name}.asc`), pair.publicKey);
      await run('gpg', ['--batch', '--quiet', '--import', join(tmp, `${name}.key`)], {
        env: gitEnv(),
      });
      const out = (
        await run(
          'gpg',
          ['--batch', '--with-colons', '--list-secret-keys', `${name}@example.com`],
          { env: gitEnv() },
        )
      ).stdout;
      fpr[name] = /^fpr:+([0-9A-F]+):/m.exec(out)![1]!;
    }
    await writeFile(
      join(tmp, 'trusted.yaml'),
      `keys:\n  - name: dbops-bot\n    role: bot\n    publicKeyFile: bot.asc\n  - name: alice\n    publicKeyFile: alice.asc\n    paths: ['**']\n`,
    );
    fx = await startGitFixture('trust', {
      'databases/burst.yaml': redisStandalone('burst', {
        storage: '16Mi',
        config: 'auto-aof-rewrite-percentage 0',
      }),
    });
    // The first applied revision is checked at its head: alice signs it.
    good = await push(
      {
        'autoscalers/burst.yaml': autoscaler(
          'Redis',
          'burst',
          'trigger: "On"\nusageThreshold: 50\n',
        ),
      },
      'autoscale burst',
      'alice',
    );
    app = await assemble(
      {
        repo: fx.url,
        stateDir: fx.stateDir,
        intervalMs: 60_000,
        runtime: 'local',
        volumes: 'directory',
        trustedKeysFile: join(tmp, 'trusted.yaml'),
        signingKeyFile: join(tmp, 'bot.key'),
        autoscale: { ...defaultAutoscale, author: { name: 'dbops-bot', email: 'bot@example.com' } },
      },
      silentLogger(),
      {},
    );
  });
  afterAll(async () => {
    await app?.close({ stopMembers: true });
    await fx?.cleanup();
    await run('gpgconf', ['--kill', 'all'], { env: gitEnv() }).catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  });

  it("applies a revision whose head a trusted key signed, and the bot's own signed commit; git verify-commit accepts it", async () => {
    const s0 = await waitFor(
      systemClock,
      'burst ready',
      async () => {
        const s = await converge();
        return db(s, 'burst').phase === 'Ready' ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(verified(s0)).toMatchObject({ status: 'True', reason: 'Verified' });
    expect(s0.revision).toBe(good);
    const c = await redisClient(app.runtime, 'burst');
    await fillPast(app.runtime, 'burst', 50, (i) => c.set(`fill:${i}`, 'x'.repeat(1024 * 1024)));
    c.disconnect();
    const s = await waitFor(
      systemClock,
      'the bot expansion',
      async () => {
        await app.autoscaler.tick();
        const st = await converge();
        return autoscalerOp(st, 'burst')?.phase === 'Successful' ? st : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const botCommit = s.autoscalers[0]!.lastDecision!.commit!;
    expect(s.revision).toBe(botCommit);
    expect(verified(s)).toMatchObject({ status: 'True' });
    const bare = fx.bareDir;
    const { stdout, stderr } = await run(
      'git',
      ['--git-dir', bare, 'verify-commit', '--raw', botCommit],
      { env: gitEnv() },
    );
    expect(stdout + stderr).toContain(`VALIDSIG ${fpr.bot}`);
    good = botCommit;
  });

  it.each([
    ['an unsigned commit', undefined, 'databases/burst.yaml', /is not signed/],
    [
      'a commit signed by an unknown key',
      'stranger',
      'databases/burst.yaml',
      /which is not trusted/,
    ],
    [
      'a bot-signed commit that edits databases/',
      'bot',
      'databases/burst.yaml',
      /outside its paths/,
    ],
  ])(
    'refuses %s: nothing is applied, SourceVerified=False names the commit',
    async (_what, signer, path, reason) => {
      const before = await converge();
      const bad = await push(
        { [path]: redisStandalone('burst', { storage: '16Mi', config: 'maxmemory 7mb' }) },
        'sneak a change in',
        signer,
      );
      const s = await converge();
      expect(s.revision).toBe(before.revision);
      expect(verified(s)).toMatchObject({ status: 'False', reason: 'UntrustedCommit' });
      expect(verified(s)?.message).toMatch(reason);
      expect(verified(s)?.message).toContain(bad.slice(0, 7));
      expect(db(s, 'burst').effective).toEqual(db(before, 'burst').effective);
      expect(s.opsRequests.length).toBe(before.opsRequests.length);
      expect((await remoteLog(fx.url, tmp))[0]!.sha).toBe(bad);
      await resetTo(good);
      const back = await converge();
      expect(verified(back)).toMatchObject({ status: 'True' });
      expect(back.revision).toBe(good);
    },
  );
});
