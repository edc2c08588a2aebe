import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler, type Handler } from '../../src/http/handler.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { pushFiles } from '../helpers/git-work.js';
import { opsRequest, redisStandalone } from '../helpers/manifests.js';
import {
  promcheck,
  promcheckUnavailable,
  type ParsedFamily,
  type PromCheck,
} from '../helpers/promcheck.js';
import { request } from './fixtures.js';

const unavailable = promcheckUnavailable();

function family(check: PromCheck, name: string): ParsedFamily {
  const f = check.families.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in ${check.families.map((x) => x.name).join(', ')}`);
  return f;
}

/** The histogram's buckets are cumulative, end at +Inf, and +Inf holds every observation. */
function expectWellFormedHistogram(f: ParsedFamily): void {
  expect(f.type).toBe('HISTOGRAM');
  for (const s of f.samples) {
    const counts = s.buckets!.map((b) => b.count);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(s.buckets!.at(-1)).toEqual({ le: '+Inf', count: s.count });
  }
}

describe.skipIf(unavailable)(
  `/metrics read by Prometheus' text parser and promlint${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let env: TestEnv;
    let handle: Handler;
    let check: PromCheck;

    beforeAll(async () => {
      env = await startEnv({ 'databases/session.yaml': redisStandalone('session') });
      handle = createHandler({
        status: () => env.app.controller.status(),
        refresh: () => env.app.controller.refresh(),
        ready: () => env.app.controller.ready(),
        metrics: env.app.metrics,
        log: silentLogger(),
        clock: systemClock,
      });
      await env.until('session ready', (s) => db(s, 'session').phase === 'Ready');
      await pushFiles(
        env.url,
        {
          'ops/20261201-100000-session-reconfigure.yaml': opsRequest(
            'Redis',
            'session-lru',
            'session',
            'Reconfigure',
            `  configuration:\n    applyConfig:\n      redis.conf: |\n        maxmemory-policy allkeys-lru\n`,
          ),
        },
        'reconfigure session',
      );
      await env.until('reconfigure ended', (s) =>
        s.opsRequests.some((o) => o.name === 'session-lru' && o.phase === 'Successful'),
      );
      const res = await handle(request('GET', '/metrics'));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      check = await promcheck(res.body);
    });

    afterAll(async () => {
      await env?.close();
    });

    it('parses and lints clean (names, units, HELP), the process metrics included', () => {
      expect(check.problems.filter((p) => p.metric.startsWith('dbops_'))).toEqual([]);
      // prom-client's own defaults: three gauges named *_total, as every Node.js dashboard
      // knows them; they stay as they are (prom-client is pinned, so a new finding shows here).
      expect(check.problems.filter((p) => !p.metric.startsWith('dbops_'))).toEqual(
        ['handles', 'requests', 'resources'].map((what) => ({
          metric: `nodejs_active_${what}_total`,
          text: 'non-counter metrics should not have "_total" suffix',
        })),
      );
      expect(family(check, 'process_cpu_seconds_total').type).toBe('COUNTER');
      expect(family(check, 'process_resident_memory_bytes').type).toBe('GAUGE');
      expect(family(check, 'nodejs_heap_size_used_bytes').type).toBe('GAUGE');
    });

    it('has the reconcile histogram and counters of the rounds that ran', () => {
      const seconds = family(check, 'dbops_reconcile_duration_seconds');
      expectWellFormedHistogram(seconds);
      const success = seconds.samples.find((s) => s.labels.result === 'success');
      expect(success?.count).toBeGreaterThanOrEqual(2);
      expect(success?.sum).toBeGreaterThan(0);
      const total = family(check, 'dbops_reconciles_total');
      expect(total.type).toBe('COUNTER');
      const sessionOk = total.samples.find(
        (s) => s.labels.database === 'session' && s.labels.result === 'success',
      );
      expect(sessionOk?.value).toBe(success?.count);
    });

    it('has the Git fetch histogram, one observation per fetch', () => {
      const fetches = family(check, 'dbops_git_fetch_duration_seconds');
      expectWellFormedHistogram(fetches);
      const ok = fetches.samples.find((s) => s.labels.result === 'success');
      expect(ok?.count).toBeGreaterThanOrEqual(2);
      expect(fetches.samples.find((s) => s.labels.result === 'error')).toBeUndefined();
    });

    it('has the operation histogram with the Reconfigure that ran', () => {
      const ops = family(check, 'dbops_operation_duration_seconds');
      expectWellFormedHistogram(ops);
      expect(ops.samples.map((s) => ({ ...s.labels, count: s.count }))).toEqual([
        { type: 'Reconfigure', result: 'Successful', count: 1 },
      ]);
      expect(ops.samples[0]!.sum).toBeGreaterThan(0);
    });

    it('derives the status gauges from the controller status', () => {
      const ready = family(check, 'dbops_database_ready');
      expect(ready.samples).toEqual([
        { labels: { database: 'session', kind: 'Redis', mode: 'Standalone' }, value: 1 },
      ]);
      expect(family(check, 'dbops_source_up').samples).toEqual([{ labels: {}, value: 1 }]);
      const successful = family(check, 'dbops_opsrequests').samples.find(
        (s) => s.labels.phase === 'Successful',
      );
      expect(successful?.value).toBe(1);
    });

    it('refuses a body that is not valid exposition (the parser is strict)', async () => {
      await expect(promcheck('dbops_x{a="b} 1\n')).rejects.toThrow(/new-line|label/);
      await expect(promcheck('# TYPE x gauge\n# TYPE x counter\nx 1\n')).rejects.toThrow(
        /second TYPE/,
      );
    });
  },
);
