// KubeDB's `valkey-*` versions on the local runtime: run by valkey-server when it is there,
// and a clear condition with nothing started when it is not (never a redis-server instead).
// Valkey comes from test/ci-tools/fetch-valkey.sh (Debian 12 has no package of its own).
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { redisClient } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { redisStandalone } from '../helpers/manifests.js';

const toolsCache = process.env.DBOPS_TOOLS_CACHE ?? join(homedir(), '.cache/dbops/tools');
const valkeyServer = existsSync(toolsCache)
  ? readdirSync(toolsCache)
      .filter((d) => d.startsWith('valkey-') && existsSync(join(toolsCache, d, 'complete')))
      .map((d) => join(toolsCache, d, 'usr/bin/valkey-server'))
      .find((p) => existsSync(p))
  : undefined;
const valkeySkip =
  valkeyServer || process.env.CI
    ? ''
    : 'Valkey is not fetched: run bash test/ci-tools/fetch-valkey.sh';

const files = {
  'databases/vk.yaml': redisStandalone('vk', { deletionPolicy: 'WipeOut' }).replace(
    'version: "7.0"',
    'version: valkey-8.1.1',
  ),
};

describe('Valkey versions (local runtime)', () => {
  const path = process.env.PATH;
  let env: TestEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
    process.env.PATH = path;
  });
  afterAll(() => {
    process.env.PATH = path;
  });

  it('a valkey-* version on a machine without Valkey waits with a clear condition, and nothing starts', async () => {
    // This machine's PATH, less any directory that holds a valkey-server.
    process.env.PATH = (path ?? '')
      .split(':')
      .filter((d) => !existsSync(join(d, 'valkey-server')))
      .join(':');
    env = await startEnv(files);
    const s = await env.converge();
    const vk = db(s, 'vk');
    expect(vk.phase).not.toBe('Ready');
    expect(JSON.stringify(vk.conditions)).toMatch(
      /no working valkey server found on this machine \(version valkey-8.1.1 is Valkey's\)/,
    );
    expect(JSON.stringify(vk.conditions)).toMatch(/apt-get install -y valkey-server/);
    expect((await env.app.runtime.observe('vk'))?.members.some((m) => m.running) ?? false).toBe(
      false,
    );
  });

  it.skipIf(valkeySkip !== '')(
    `a valkey-* version runs valkey-server when it is installed${valkeySkip ? ` (skipped: ${valkeySkip})` : ''}`,
    async () => {
      if (!valkeyServer)
        throw new Error('CI must fetch Valkey: bash test/ci-tools/fetch-valkey.sh');
      process.env.PATH = `${dirname(valkeyServer)}:${path ?? ''}`;
      env = await startEnv(files);
      const s = await env.until('vk Ready', (st) => db(st, 'vk').phase === 'Ready');
      expect(db(s, 'vk').version.running).toMatch(/^valkey-8\./);
      const r = await redisClient(env.app.runtime, 'vk');
      try {
        const info = await r.info('server');
        expect(info).toMatch(/^server_name:valkey\r?$/m);
        expect(info).toMatch(/^valkey_version:8\./m);
        await r.set('k', 'v');
        expect(await r.get('k')).toBe('v');
      } finally {
        r.disconnect();
      }
    },
  );
});
