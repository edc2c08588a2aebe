import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../../src/errors.js';
import { authFromEnv } from '../../src/source/auth.js';

describe('authFromEnv with a credentials file', () => {
  let tmp: string;
  const file = (name: string) => join(tmp, name);
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'dbops-cred-'));
    await writeFile(file('token'), 'tok-123\n', { mode: 0o600 });
    await writeFile(file('pair'), 'alice:pw:1\n', { mode: 0o400 });
    await writeFile(file('open'), 'leaked-secret\n');
    await chmod(file('open'), 0o644);
    await writeFile(file('empty'), '\n', { mode: 0o600 });
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it.each([
    ['token', {}, { token: 'tok-123' }],
    ['pair', {}, { username: 'alice', password: 'pw:1' }],
    ['open', { DBOPS_GIT_TOKEN: 'env-wins' }, { token: 'env-wins' }],
  ])('%s with env %j', async (name, env, want) => {
    expect(await authFromEnv(env, { credentialsFile: file(name) })).toEqual(want);
  });

  it('returns undefined when nothing is configured', async () => {
    expect(await authFromEnv({})).toBeUndefined();
  });

  it.each([
    ['open', /accessible by group or others \(mode 644\)/],
    ['empty', /is empty/],
    ['missing', /cannot read credentials file .*missing \(ENOENT\)/],
  ])('refuses %s with a clear config error', async (name, msg) => {
    const err = await authFromEnv({}, { credentialsFile: file(name) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: codes.config });
    expect((err as Error).message).toMatch(msg);
    expect(JSON.stringify(err) + (err as Error).message).not.toContain('leaked-secret');
  });
});
