import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { statusFixture } from '../../test/http/fixtures.js';
import {
  createPromMetrics,
  fetchBuckets,
  metricsContentType,
  operationBuckets,
  reconcileBuckets,
} from './metrics.js';

const lines = (text: string, prefix: string) =>
  text.split('\n').filter((l) => l.startsWith(prefix));

const quiet = () => createPromMetrics({ status: () => statusFixture(), processMetrics: false });

describe('the recorder', () => {
  it('puts reconciles into the duration histogram by result, and counts them per database', async () => {
    const m = quiet();
    m.reconcileDone('cache', 'success', 0.3);
    m.reconcileDone('cache', 'success', 0.04);
    m.reconcileDone('cache', 'retry', 7);
    m.reconcileDone('orders', 'stalled', 400);
    const text = await m.render();
    expect(lines(text, 'dbops_reconcile_duration_seconds_bucket{le="0.05",')).toEqual([
      'dbops_reconcile_duration_seconds_bucket{le="0.05",result="success"} 1',
      'dbops_reconcile_duration_seconds_bucket{le="0.05",result="retry"} 0',
      'dbops_reconcile_duration_seconds_bucket{le="0.05",result="stalled"} 0',
    ]);
    expect(
      lines(text, 'dbops_reconcile_duration_seconds_bucket{le="0.5",result="success"}'),
    ).toEqual(['dbops_reconcile_duration_seconds_bucket{le="0.5",result="success"} 2']);
    expect(lines(text, 'dbops_reconcile_duration_seconds_bucket{le="10",result="retry"}')).toEqual([
      'dbops_reconcile_duration_seconds_bucket{le="10",result="retry"} 1',
    ]);
    // 400 s is past the last bucket (300 s): only +Inf holds it.
    expect(
      lines(text, 'dbops_reconcile_duration_seconds_bucket{le="300",result="stalled"}'),
    ).toEqual(['dbops_reconcile_duration_seconds_bucket{le="300",result="stalled"} 0']);
    expect(
      lines(text, 'dbops_reconcile_duration_seconds_bucket{le="+Inf",result="stalled"}'),
    ).toEqual(['dbops_reconcile_duration_seconds_bucket{le="+Inf",result="stalled"} 1']);
    expect(lines(text, 'dbops_reconcile_duration_seconds_count')).toEqual([
      'dbops_reconcile_duration_seconds_count{result="success"} 2',
      'dbops_reconcile_duration_seconds_count{result="retry"} 1',
      'dbops_reconcile_duration_seconds_count{result="stalled"} 1',
    ]);
    expect(lines(text, 'dbops_reconcile_duration_seconds_sum{result="success"}')).toEqual([
      'dbops_reconcile_duration_seconds_sum{result="success"} 0.33999999999999997',
    ]);
    expect(lines(text, 'dbops_reconciles_total')).toEqual([
      'dbops_reconciles_total{database="cache",result="success"} 2',
      'dbops_reconciles_total{database="cache",result="retry"} 1',
      'dbops_reconciles_total{database="orders",result="stalled"} 1',
    ]);
    expect(lines(text, 'dbops_reconcile_errors_total')).toEqual([
      'dbops_reconcile_errors_total{database="cache",result="retry"} 1',
      'dbops_reconcile_errors_total{database="orders",result="stalled"} 1',
    ]);
  });

  it('puts fetches and operations into their histograms', async () => {
    const m = quiet();
    m.fetchDone('success', 0.02);
    m.fetchDone('error', 30);
    m.operationDone('VolumeExpansion', 'Successful', 42);
    m.operationDone('Reconfigure', 'Failed', 0.2);
    const text = await m.render();
    expect(lines(text, 'dbops_git_fetch_duration_seconds_bucket{le="0.025"')).toEqual([
      'dbops_git_fetch_duration_seconds_bucket{le="0.025",result="success"} 1',
      'dbops_git_fetch_duration_seconds_bucket{le="0.025",result="error"} 0',
    ]);
    expect(lines(text, 'dbops_git_fetch_duration_seconds_count')).toEqual([
      'dbops_git_fetch_duration_seconds_count{result="success"} 1',
      'dbops_git_fetch_duration_seconds_count{result="error"} 1',
    ]);
    expect(lines(text, 'dbops_operation_duration_seconds_bucket{le="60"')).toEqual([
      'dbops_operation_duration_seconds_bucket{le="60",type="VolumeExpansion",result="Successful"} 1',
      'dbops_operation_duration_seconds_bucket{le="60",type="Reconfigure",result="Failed"} 1',
    ]);
    expect(
      lines(text, 'dbops_operation_duration_seconds_bucket{le="30",type="VolumeExpansion"'),
    ).toEqual([
      'dbops_operation_duration_seconds_bucket{le="30",type="VolumeExpansion",result="Successful"} 0',
    ]);
  });

  it.each([
    ['dbops_reconcile_duration_seconds', reconcileBuckets],
    ['dbops_git_fetch_duration_seconds', fetchBuckets],
    ['dbops_operation_duration_seconds', operationBuckets],
  ])('%s has HELP, TYPE histogram and its buckets once observed', async (name, buckets) => {
    const m = quiet();
    m.reconcileDone('cache', 'success', 1);
    m.fetchDone('success', 1);
    m.operationDone('Restart', 'Successful', 1);
    const text = await m.render();
    expect(text).toContain(`# TYPE ${name} histogram\n`);
    const les = lines(text, `${name}_bucket`).map((l) => /le="([^"]+)"/.exec(l)?.[1]);
    expect(les).toEqual([...buckets.map(String), '+Inf']);
  });
});

describe('the registry', () => {
  it('is its own, not the global one, and serves the 0.0.4 text format', async () => {
    const m = quiet();
    expect(m.registry).not.toBe(globalRegistry);
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metricsContentType).toBe(m.contentType);
    expect(await globalRegistry.metrics()).not.toContain('dbops_');
  });

  it('has the default process and Node.js metrics unless switched off', async () => {
    const withProcess = await createPromMetrics({ status: () => undefined }).render();
    expect(withProcess).toContain('# TYPE process_cpu_seconds_total counter\n');
    expect(withProcess).toContain('# TYPE process_resident_memory_bytes gauge\n');
    expect(withProcess).toContain('# TYPE nodejs_heap_size_used_bytes gauge\n');
    expect(await quiet().render()).not.toContain('process_cpu_seconds_total');
  });

  it('names every dbops family by convention: counters end in _total, others do not', async () => {
    const m = quiet();
    for (const metric of await m.registry.getMetricsAsJSON()) {
      // prom-client's typings declare a numeric enum; the runtime value is the type's name.
      const type = metric.type as unknown as string;
      expect(metric.name).toMatch(/^dbops_[a-z]+(_[a-z]+)*$/);
      expect(metric.name.endsWith('_total')).toBe(type === 'counter');
      if (type === 'histogram') expect(metric.name).toMatch(/_seconds$/);
    }
  });
});
