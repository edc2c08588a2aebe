// Reads the checked-in policies/ and examples-repo/ folders (static files of this package).
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { settingRefusal } from '../api/config-rules.js';
import { loadDesiredState } from '../manifests/load.js';
import { builtInPolicyFiles } from './built-in.js';
import { evaluatePolicies } from './evaluate.js';
import { redis, textFile } from './fixtures.js';
import { loadPolicies } from './load.js';

const loadBuiltIn = async () =>
  loadPolicies({ builtIn: await builtInPolicyFiles(), repository: [] });

describe('the built-in policy set', () => {
  it('reads every file of policies/, and each loads without errors or warnings', async () => {
    const files = await builtInPolicyFiles();
    expect(files.map((f) => f.path)).toEqual([
      'policies/configuration.yaml',
      'policies/data.yaml',
      'policies/storage.yaml',
      'policies/topology.yaml',
    ]);
    for (const file of files) {
      const r = loadPolicies({ builtIn: [file], repository: [] });
      expect({ file: file.path, errors: r.errors, warnings: r.warnings }).toEqual({
        file: file.path,
        errors: [],
        warnings: [],
      });
      expect(r.policies.length).toBeGreaterThan(0);
    }
  });

  it('holds the rules dbops promises, overridable only where it says so', async () => {
    const r = await loadBuiltIn();
    expect(r.policies.map((p) => [p.name, p.rule.type, p.overridable, p.file])).toEqual([
      ['redis-forbidden-config', 'forbiddenConfig', false, 'dbops:policies/configuration.yaml'],
      ['postgres-forbidden-config', 'forbiddenConfig', false, 'dbops:policies/configuration.yaml'],
      ['production-keeps-data', 'deletionPolicy', false, 'dbops:policies/data.yaml'],
      ['redis-storage-bounds', 'storage', true, 'dbops:policies/storage.yaml'],
      ['postgres-storage-bounds', 'storage', true, 'dbops:policies/storage.yaml'],
      ['no-shrink', 'noShrink', false, 'dbops:policies/storage.yaml'],
      ['replicas-bounds', 'replicas', true, 'dbops:policies/topology.yaml'],
      ['redis-cluster-shards-bounds', 'shards', true, 'dbops:policies/topology.yaml'],
    ]);
  });

  it('forbids only keys the manifest loader refuses too (one list, src/api/config-rules.ts)', async () => {
    const r = await loadBuiltIn();
    for (const p of r.policies) {
      if (p.rule.type !== 'forbiddenConfig') continue;
      const file = p.match.kinds?.[0] === 'Redis' ? 'redis.conf' : 'user.conf';
      for (const key of p.rule.keys)
        expect([p.name, key, settingRefusal(file, key)]).toEqual([p.name, key, 'forbidden']);
    }
  });

  it('keeps production data: WipeOut is refused for env=production, with a message that says what to do', async () => {
    const r = await loadBuiltIn();
    const database = redis({ deletionPolicy: 'WipeOut' });
    const verdicts = evaluatePolicies(
      r.policies,
      { database, labels: { env: 'production' }, before: null, operations: [] },
      0,
    );
    expect(verdicts.map((v) => v.message)).toEqual([
      'policy production-keeps-data (dbops:policies/data.yaml:7): deletionPolicy WipeOut is not allowed for databases labelled env=production; use Delete, Halt or DoNotTerminate',
    ]);
    expect(
      evaluatePolicies(r.policies, { database, labels: {}, before: null, operations: [] }, 0),
    ).toEqual([]);
  });

  it('allows every database of examples-repo/', async () => {
    const dir = new URL('../../examples-repo/databases/', import.meta.url);
    const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml'));
    const files = await Promise.all(
      names.map(async (n) => textFile(`databases/${n}`, await readFile(new URL(n, dir), 'utf8'))),
    );
    const desired = loadDesiredState({ revision: 'r', files });
    expect(desired.errors).toEqual([]);
    const r = await loadBuiltIn();
    for (const db of desired.databases.values()) {
      const verdicts = evaluatePolicies(
        r.policies,
        { database: db.spec, labels: db.labels, before: null, operations: [] },
        0,
      );
      expect([db.spec.name, verdicts]).toEqual([db.spec.name, []]);
    }
    expect(desired.databases.size).toBe(names.length);
  });
});
