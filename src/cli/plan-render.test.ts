import { describe, expect, it } from 'vitest';
import type { SourceFile } from '../api/manifest-file.js';
import { opsDoc, postgresDoc, redisDoc, withField, yamlFile } from '../manifests/fixtures.js';
import { loadDesiredState } from '../manifests/load.js';
import { planChange, type Judge } from '../plan/change-plan.js';
import { renderPlanJson, renderPlanMarkdown, renderPlanText } from './plan-render.js';

type Obj = Record<string, unknown>;
const files = (docs: Record<string, Obj>): SourceFile[] =>
  Object.entries(docs).map(([path, d]) => yamlFile(path, d));
const cache = redisDoc('cache', { mode: 'Cluster', cluster: { shards: 3, replicas: 2 } });
const orders = postgresDoc('orders', { replicas: 2, deletionPolicy: 'Halt' });
const session = redisDoc('session', { deletionPolicy: 'WipeOut' });

/** A pull request that does a bit of everything a reviewer must see. */
function samplePlan() {
  const base = loadDesiredState({
    files: files({
      'databases/cache.yaml': cache,
      'databases/orders.yaml': orders,
      'databases/session.yaml': session,
    }),
    revision: '1'.repeat(40),
  });
  const head = loadDesiredState({
    files: files({
      'databases/cache.yaml': withField(
        withField(cache, 'spec.storage.resources.requests.storage', '2Gi'),
        'spec.configuration',
        { inline: { 'redis.conf': 'databases 32\n' } },
      ),
      'databases/orders.yaml': withField(
        orders,
        'spec.storage.resources.requests.storage',
        '512Mi',
      ),
      'ops/20261201-120000-orders-reconfigure.yaml': opsDoc(
        'PostgresOpsRequest',
        'orders-buffers',
        'orders',
        'Reconfigure',
        { configuration: { applyConfig: { 'user.conf': 'shared_buffers = 256MB\n' } } },
      ),
      'databases/queue.yaml': withField(redisDoc('queue'), 'spec.deletionPolicy', 'Sometimes'),
      'databases/events.yaml': postgresDoc('events'),
    }),
    revision: '2'.repeat(40),
  });
  const judge: Judge = (s) =>
    s.database.name === 'cache'
      ? [
          {
            policy: 'restarts-in-window',
            file: 'policies/windows.yaml',
            line: 4,
            effect: 'wait',
            message:
              'policy restarts-in-window (policies/windows.yaml:4): restarts run Saturdays 02:00-06:00 UTC',
            operation: 1,
            opensAt: Date.parse('2026-12-05T02:00:00Z'),
          },
        ]
      : s.database.name === 'events'
        ? [
            {
              policy: 'storage-bounds',
              file: 'dbops:policies/storage.yaml',
              line: 7,
              effect: 'deny',
              message:
                'policy storage-bounds (dbops:policies/storage.yaml:7): storage 1Gi is above the maximum of 512Mi; use at most 512Mi',
            },
          ]
        : [];
  return planChange({ base, head: { ...head, errors: head.errors }, judge });
}

describe('the plan as a reader sees it (golden files, reviewed)', () => {
  it('Markdown for a pull-request comment', async () => {
    await expect(renderPlanMarkdown(samplePlan())).toMatchFileSnapshot('./golden/plan.md');
  });
  it('text for a terminal', async () => {
    await expect(renderPlanText(samplePlan())).toMatchFileSnapshot('./golden/plan.txt');
  });
  it('JSON carries the verdict and every operation', () => {
    const j = JSON.parse(renderPlanJson(samplePlan())) as {
      allowed: boolean;
      databases: { name: string; operations: unknown[] }[];
    };
    expect(j.allowed).toBe(false);
    expect(j.databases.map((d) => [d.name, d.operations.length])).toEqual([
      ['cache', 2],
      ['events', 0],
      ['orders', 1],
      ['queue', 0],
      ['session', 0],
    ]);
  });
  it('escapes Markdown in what manifests say', () => {
    const p = samplePlan();
    p.databases[0]!.notes.push('a | pipe and <b>html</b> and `ticks`');
    expect(renderPlanMarkdown(p)).toContain('a \\| pipe and \\<b>html\\</b> and \\`ticks\\`');
  });
});
