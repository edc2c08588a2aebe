// Secrets a manifest names, from the local runtime's secrets dir: the admin password and the
// configuration come from there, a missing or broken Secret is a waiting condition that
// names it (no default password, nothing started), and no Secret value reaches the status,
// the logs or an error.
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecretYaml } from '../../src/runtime/local/secrets-dir.js';
import { pgClient, redisClient } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { captureLog } from '../helpers/log-lines.js';
import { postgres, redisStandalone } from '../helpers/manifests.js';

const redisPassword = 'redis-pass-from-secret-4a1f';
const pgPassword = 'pg-pass-from-secret-77c2';
const brokenToken = 'hunter-broken-9d3e';
const secretValues = [redisPassword, pgPassword, brokenToken, '48mb', "'12MB'"];

function redis(name: string, spec: string): string {
  return redisStandalone(name, { spec, deletionPolicy: 'WipeOut' });
}

const files = {
  // Password from a Kubernetes Secret's YAML; settings from a directory of key files, with an
  // inline setting over one of them.
  'databases/cache.yaml': redis(
    'cache',
    `  authSecret:
    name: cache-auth
  configuration:
    secretName: cache-config
    inline:
      redis.conf: |
        hz 20
`,
  ),
  // Password from key=value lines; user.conf from a Secret's YAML.
  'databases/orders.yaml': postgres('orders', {
    replicas: 1,
    storage: '256Mi',
    deletionPolicy: 'WipeOut',
    spec: '  authSecret:\n    name: orders-auth\n  configuration:\n    secretName: orders-config\n',
  }),
  // An auth Secret that does not exist yet: dbops creates it.
  'databases/fresh.yaml': redis('fresh', '  authSecret:\n    name: fresh-auth\n'),
  // A configuration Secret that does not exist: it waits, nothing starts.
  'databases/later.yaml': redis('later', '  configuration:\n    secretName: later-config\n'),
  // An auth Secret without a password key: it waits, no default password.
  'databases/broken.yaml': redis('broken', '  authSecret:\n    name: broken-auth\n'),
  // externallyManaged: dbops waits for its owner to create it.
  'databases/owned.yaml': redis(
    'owned',
    '  authSecret:\n    name: owned-auth\n    externallyManaged: true\n',
  ),
};

async function secretFile(path: string, text: string) {
  await writeFile(path, text, { mode: 0o600 });
}

describe('Secrets from the secrets dir (local runtime)', () => {
  const capture = captureLog();
  let env: TestEnv;
  let work: string;
  let secrets: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dbops-secrets-e2e-'));
    secrets = join(work, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    await secretFile(
      join(secrets, 'cache-auth.yaml'),
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: cache-auth\nstringData:\n  username: default\n  password: ${redisPassword}\n`,
    );
    await mkdir(join(secrets, 'cache-config'), { mode: 0o700 });
    await secretFile(join(secrets, 'cache-config', 'redis.conf'), 'maxmemory 48mb\nhz 17\n');
    await secretFile(
      join(secrets, 'orders-auth.env'),
      `username=postgres\npassword=${pgPassword}\n`,
    );
    await secretFile(
      join(secrets, 'orders-config.yaml'),
      `kind: Secret\nstringData:\n  user.conf: |\n    work_mem = '12MB'\n`,
    );
    await secretFile(
      join(secrets, 'broken-auth.yaml'),
      `kind: Secret\nstringData:\n  username: default\n  token: ${brokenToken}\n`,
    );
    env = await startEnv(files, { log: capture.log, config: { secretsDir: secrets } });
    await env.until('cache, orders and fresh Ready', (s) =>
      ['cache', 'orders', 'fresh'].every((n) => db(s, n).phase === 'Ready'),
    );
  });
  afterAll(async () => {
    await env?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('Redis runs with the password and the settings of its Secrets; inline wins over the Secret', async () => {
    expect((await env.app.runtime.credentials('cache'))?.password).toBe(redisPassword);
    const r = await redisClient(env.app.runtime, 'cache');
    try {
      expect(await r.config('GET', 'maxmemory')).toEqual(['maxmemory', String(48 * 1024 * 1024)]);
      expect(await r.config('GET', 'hz')).toEqual(['hz', '20']);
    } finally {
      r.disconnect();
    }
  });

  it('Postgres runs with the password and the user.conf of its Secrets', async () => {
    const creds = await env.app.runtime.credentials('orders');
    expect(creds).toEqual({ username: 'postgres', password: pgPassword });
    const c = await pgClient(env.app.runtime, 'orders');
    try {
      expect((await c.query<{ work_mem: string }>('SHOW work_mem')).rows[0]?.work_mem).toBe('12MB');
    } finally {
      await c.end();
    }
  });

  it('an auth Secret that does not exist is created in the secrets dir, mode 0600, with the password the database runs with', async () => {
    const path = join(secrets, 'fresh-auth.yaml');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const data = parseSecretYaml('fresh-auth', path, await readFile(path, 'utf8'));
    expect(data.username).toBe('default');
    expect(data.password).toBe((await env.app.runtime.credentials('fresh'))?.password);
    expect(data.password!.length).toBeGreaterThanOrEqual(40);
  });

  it('a missing configuration Secret waits, naming it, with nothing started; created, the database comes up', async () => {
    const s = await env.converge();
    const later = db(s, 'later');
    expect(later.phase).not.toBe('Ready');
    expect(JSON.stringify(later.conditions)).toMatch(
      /Secret later-config \(spec.configuration.secretName of later, in secrets dir [^)]+\) does not exist/,
    );
    expect((await env.app.runtime.observe('later'))?.members.some((m) => m.running) ?? false).toBe(
      false,
    );
    await secretFile(
      join(secrets, 'later-config.yaml'),
      'kind: Secret\nstringData:\n  redis.conf: "maxmemory-policy allkeys-lru\\n"\n',
    );
    await env.until('later Ready', (st) => db(st, 'later').phase === 'Ready');
    const r = await redisClient(env.app.runtime, 'later');
    try {
      expect(await r.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'allkeys-lru',
      ]);
    } finally {
      r.disconnect();
    }
  });

  it('an auth Secret without a password waits, naming it, with no default password and nothing started', async () => {
    const s = await env.converge();
    const broken = db(s, 'broken');
    expect(broken.phase).not.toBe('Ready');
    expect(JSON.stringify(broken.conditions)).toMatch(
      /Secret broken-auth .* has no \\"password\\" key/,
    );
    expect(await env.app.runtime.credentials('broken')).toBeUndefined();
    expect((await env.app.runtime.observe('broken'))?.members ?? []).toEqual([]);
  });

  it('an externally managed auth Secret is waited for, not created', async () => {
    const s = await env.converge();
    expect(JSON.stringify(db(s, 'owned').conditions)).toMatch(
      /Secret owned-auth \(.*externallyManaged.*\) does not exist/,
    );
    await expect(stat(join(secrets, 'owned-auth.yaml'))).rejects.toThrow(/ENOENT/);
    await secretFile(join(secrets, 'owned-auth.env'), 'password=owned-by-its-owner-5b\n');
    await env.until('owned Ready', (st) => db(st, 'owned').phase === 'Ready');
    expect((await env.app.runtime.credentials('owned'))?.password).toBe('owned-by-its-owner-5b');
  });

  it('a Secret readable by other users is refused until its mode is fixed', async () => {
    await chmod(join(secrets, 'broken-auth.yaml'), 0o644);
    const s = await env.converge();
    expect(JSON.stringify(db(s, 'broken').conditions)).toMatch(
      /Secret broken-auth \([^)]*broken-auth.yaml\) is readable by other users \(mode 0644\)/,
    );
    await chmod(join(secrets, 'broken-auth.yaml'), 0o600);
  });

  it('no Secret value is in the status or the logs', async () => {
    const status = JSON.stringify(await env.converge());
    const logs = JSON.stringify(capture.lines());
    for (const value of secretValues) {
      expect(status).not.toContain(value);
      expect(logs).not.toContain(value);
    }
  });
});
