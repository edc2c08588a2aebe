import { describe, expect, it } from 'vitest';
import { loadDesiredState } from '../manifests/load.js';
import { autoscalerDoc, redisDoc, textFile, yamlFile } from '../manifests/fixtures.js';
import { commitMessage, decisionFile, parseAuthor } from './commit-message.js';
import { decide } from './decide.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

// The manifests of a repository with one Redis and its autoscaler, loaded for real.
const base = [
  yamlFile('databases/cache.yaml', redisDoc('cache')),
  yamlFile(
    'autoscalers/cache.yaml',
    autoscalerDoc('RedisAutoscaler', 'cache-storage', 'cache', 'standalone', {
      trigger: 'On',
      usageThreshold: 80,
      upperBound: '4Gi',
      expansionMode: 'Offline',
    }),
  ),
];
const loaded = loadDesiredState({ revision: 'r', files: base });
const scaler = loaded.autoscalers[0]!;
const d = decide({
  autoscaler: { ...scaler, opsRequestOptions: { timeoutMs: 600_000, apply: 'Always' } },
  currentBytes: Gi,
  usage: [{ member: 'cache-0', usedBytes: 870 * Mi, capacityBytes: Gi }],
  database: { present: true, halted: false, ready: true },
  expansionInFlight: false,
  cooldownMs: 0,
  now: 0,
});
if (d.action !== 'expand') throw new Error(`fixture must expand: ${d.message}`);
const at = Date.UTC(2026, 11, 1, 10, 15, 0);

describe('decisionFile', () => {
  it('writes the conventionally named OpsRequest that loads back to the decision, with no warning', () => {
    const a = { ...scaler, opsRequestOptions: { timeoutMs: 600_000, apply: 'Always' as const } };
    const f = decisionFile(d, a, 'Redis', at);
    expect(f.path).toBe('ops/20261201-101500-cache-volumeexpansion.yaml');
    const back = loadDesiredState({ revision: 'r2', files: [...base, textFile(f.path, f.text)] });
    expect(back.errors).toEqual([]);
    expect(back.warnings).toEqual([]);
    expect(back.opsRequests).toHaveLength(1);
    expect(back.opsRequests[0]).toMatchObject({
      kind: 'RedisOpsRequest',
      database: 'cache',
      type: 'VolumeExpansion',
      volumeExpansion: { mode: 'Offline', bytes: 1536 * Mi },
      timeoutMs: 600_000,
      apply: 'Always',
    });
    expect(back.databases.get('cache')?.spec.storageBytes).toBe(1536 * Mi);
    expect(f.text).toContain('dbops.dev/autoscaler: cache-storage');
  });
});

describe('commitMessage', () => {
  it('has the subject, a body that says why, and the trailers', () => {
    const lines = commitMessage(d, scaler).split('\n');
    expect(lines[0]).toBe('autoscale(cache): expand storage 1Gi -> 1536Mi (usage 85% > 80%)');
    expect(lines[1]).toBe('');
    expect(lines.slice(-8)).toEqual([
      'Dbops-Database: cache',
      'Dbops-Usage: 85%',
      'Dbops-Threshold: 80%',
      'Dbops-Old-Size: 1Gi',
      'Dbops-New-Size: 1536Mi',
      'Dbops-Member: cache-0',
      'Dbops-Autoscaler: cache-storage',
      '',
    ]);
    expect(lines.join('\n')).toContain('git revert');
  });
});

describe('parseAuthor', () => {
  it.each([
    ['dbops bot <bot@example.com>', { name: 'dbops bot', email: 'bot@example.com' }],
    ['  x <a@b>  ', { name: 'x', email: 'a@b' }],
    ['no email', undefined],
    ['<a@b>', undefined],
    ['a <not-an-email>', undefined],
    ['a <a@b> <c@d>', undefined],
    ['a\nb <a@b>', undefined],
  ])('%j', (text, want) => expect(parseAuthor(text)).toEqual(want));
});
