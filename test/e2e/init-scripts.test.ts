// Postgres init scripts (spec.init.script) from a ConfigMap manifest of the repository, on the
// local runtime: they run once, in one transaction, before the database is Ready; a failing
// script commits nothing, names its file, and runs again once fixed; a database that existed
// before its manifest named scripts skips them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgClient } from '../helpers/autoscale.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { pushFiles } from '../helpers/git-work.js';
import { postgres as postgresManifest } from '../helpers/manifests.js';

function postgres(name: string, init?: string): string {
  return postgresManifest(name, {
    replicas: 1,
    storage: '256Mi',
    deletionPolicy: 'WipeOut',
    spec: init ? `  init:\n    script:\n      configMap:\n        name: ${init}\n` : '',
  });
}

function configMap(name: string, data: Record<string, string>): string {
  const body = Object.entries(data)
    .map(
      ([k, v]) =>
        `  ${k}: |\n${v
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}\n`,
    )
    .join('');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${body}`;
}

const files = {
  'databases/orders.yaml': postgres('orders', 'orders-init'),
  'databases/orders-init.yaml': configMap('orders-init', {
    '01-schema.sql': 'CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL);',
    '02-data.sql': "INSERT INTO accounts VALUES (1, 'ada'), (2, 'grace');",
  }),
  // The second file fails: the first one's table must not be left behind.
  'databases/broken.yaml': postgres('broken', 'broken-init'),
  'databases/broken-init.yaml': configMap('broken-init', {
    '01-schema.sql': 'CREATE TABLE items (id int);',
    '02-data.sql': 'INSERT INTO itemz VALUES (1);',
  }),
  'databases/later.yaml': postgres('later'),
};

const initialized = (s: Awaited<ReturnType<TestEnv['converge']>>, name: string) =>
  db(s, name).conditions.find((c) => c.type === 'Initialized');

async function rows(env: TestEnv, database: string, sql: string) {
  const c = await pgClient(env.app.runtime, database);
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

const tableExists = async (env: TestEnv, database: string, table: string) =>
  (await rows(env, database, `SELECT to_regclass('public.${table}') AS t`))[0]?.t !== null;

describe('Postgres init scripts (local runtime)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnv(files);
    await env.until(
      'orders and later Ready, broken failed',
      (s) =>
        db(s, 'orders').phase === 'Ready' &&
        db(s, 'later').phase === 'Ready' &&
        initialized(s, 'broken')?.reason === 'InitScriptFailed',
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  it('runs the .sql files in key order before the database is Ready, and says so in status', async () => {
    expect(await rows(env, 'orders', 'SELECT id, owner FROM accounts ORDER BY id')).toEqual([
      { id: 1, owner: 'ada' },
      { id: 2, owner: 'grace' },
    ]);
    const s = await env.converge();
    const orders = db(s, 'orders');
    expect(orders.init).toMatchObject({
      configMap: 'orders-init',
      phase: 'Succeeded',
      message: 'ran 01-schema.sql, 02-data.sql of ConfigMap orders-init',
    });
    const init = initialized(s, 'orders')!;
    const ready = orders.conditions.find((c) => c.type === 'Ready')!;
    expect(init.status).toBe('True');
    expect(Date.parse(init.lastTransitionTime)).toBeLessThanOrEqual(
      Date.parse(ready.lastTransitionTime),
    );
  });

  it('runs them once: later passes leave the data as it is', async () => {
    await rows(env, 'orders', "INSERT INTO accounts VALUES (3, 'edsger')");
    const s = await env.converge();
    expect(db(s, 'orders').phase).toBe('Ready');
    expect(db(s, 'orders').init?.phase).toBe('Succeeded');
    expect(await rows(env, 'orders', 'SELECT count(*)::int AS n FROM accounts')).toEqual([
      { n: 3 },
    ]);
  });

  it('a failing script names its file, commits nothing, keeps the database from Ready, and runs again once fixed', async () => {
    let s = await env.converge();
    const broken = db(s, 'broken');
    expect(broken.phase).not.toBe('Ready');
    expect(initialized(s, 'broken')?.message).toMatch(
      /^init script 02-data.sql failed \(at character \d+\): relation "itemz" does not exist/,
    );
    expect(broken.init?.phase).toBe('Failed');
    expect(await tableExists(env, 'broken', 'items')).toBe(false);

    await pushFiles(
      env.url,
      {
        'databases/broken-init.yaml': configMap('broken-init', {
          '01-schema.sql': 'CREATE TABLE items (id int);',
          '02-data.sql': 'INSERT INTO items VALUES (1);',
        }),
      },
      'broken: fix the init script',
    );
    s = await env.until('broken Ready', (st) => db(st, 'broken').phase === 'Ready');
    expect(db(s, 'broken').init?.phase).toBe('Succeeded');
    expect(await rows(env, 'broken', 'SELECT id FROM items')).toEqual([{ id: 1 }]);
  });

  it('a database that existed before its manifest named scripts skips them', async () => {
    await pushFiles(
      env.url,
      {
        'databases/later.yaml': postgres('later', 'later-init'),
        'databases/later-init.yaml': configMap('later-init', {
          'init.sql': 'CREATE TABLE late (id int);',
        }),
      },
      'later: init scripts after the fact',
    );
    const s = await env.until(
      'later skips its scripts',
      (st) => initialized(st, 'later')?.reason === 'InitSkipped',
    );
    expect(db(s, 'later').phase).toBe('Ready');
    expect(initialized(s, 'later')?.message).toMatch(
      /existed before spec.init.script named ConfigMap later-init: init scripts run only when a database is created/,
    );
    expect(await tableExists(env, 'later', 'late')).toBe(false);
  });
});
