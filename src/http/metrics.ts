import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatusDocument } from '../api/status.js';
import type { FetchResult, Metrics, ReconcileResult } from '../platform/metrics.js';
import { statusFamilies, type StatusFamily } from './status-metrics.js';

/** The Content-Type of the Prometheus text exposition format 0.0.4 that /metrics serves. */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

/** What /metrics serves. */
export interface MetricsEndpoint {
  readonly contentType: string;
  /** Every family in the text format; the status families read the status at this moment. */
  render(): Promise<string>;
}

/** The controller's metrics recorder and the /metrics body, on one registry of its own. */
export interface PromMetrics extends Metrics, MetricsEndpoint {
  /** The prom-client registry (never the global one), for tests and embedding. */
  readonly registry: Registry;
}

/** Histogram buckets (seconds): a reconcile takes milliseconds, a first provisioning minutes. */
export const reconcileBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** An incremental fetch of a shallow clone takes tens of milliseconds, a reclone seconds. */
export const fetchBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A reconfigure takes seconds, a rolling restart or a volume expansion up to an hour. */
export const operationBuckets = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * One status document per scrape: the first family collected reads it, the others reuse it
 * until the current task ends (prom-client collects every family in one synchronous pass).
 */
function perScrape(status: () => StatusDocument | undefined): () => StatusDocument | undefined {
  let cached: { doc: StatusDocument | undefined } | undefined;
  return () => {
    if (!cached) {
      cached = { doc: status() };
      queueMicrotask(() => (cached = undefined));
    }
    return cached.doc;
  };
}

function registerStatusFamily(
  registry: Registry,
  family: StatusFamily,
  current: () => StatusDocument | undefined,
): void {
  const common = {
    name: family.name,
    help: family.help,
    labelNames: family.labelNames,
    registers: [registry],
  };
  const samples = () => {
    const doc = current();
    return doc ? family.samples(doc) : [];
  };
  if (family.type === 'counter') {
    new Counter({
      ...common,
      collect() {
        this.reset();
        for (const s of samples()) this.inc(s.labels, s.value);
      },
    });
  } else {
    new Gauge({
      ...common,
      collect() {
        this.reset();
        for (const s of samples()) this.set(s.labels, s.value);
      },
    });
  }
}

/**
 * Builds the controller's metrics on a registry of its own: the families derived from
 * `status()` at scrape time (nothing while it returns undefined), the reconcile, fetch and
 * operation histograms and counters fed by the recorder methods, and the default process and
 * Node.js metrics unless `processMetrics` is false.
 */
export function createPromMetrics(opts: {
  status: () => StatusDocument | undefined;
  processMetrics?: boolean;
}): PromMetrics {
  const registry = new Registry();
  const current = perScrape(opts.status);
  for (const family of statusFamilies) registerStatusFamily(registry, family, current);
  const registers = [registry];
  const reconciles = new Counter({
    name: 'dbops_reconciles_total',
    help: 'Reconciles of a database by result: success, retry (a step failed; tried again), stalled (a human must act).',
    labelNames: ['database', 'result'],
    registers,
  });
  const reconcileErrors = new Counter({
    name: 'dbops_reconcile_errors_total',
    help: 'Reconciles of a database that failed, by result (retry or stalled).',
    labelNames: ['database', 'result'],
    registers,
  });
  const reconcileSeconds = new Histogram({
    name: 'dbops_reconcile_duration_seconds',
    help: 'Time one reconcile of a database took, by result.',
    labelNames: ['result'],
    buckets: reconcileBuckets,
    registers,
  });
  const fetchSeconds = new Histogram({
    name: 'dbops_git_fetch_duration_seconds',
    help: 'Time one fetch of the Git source took, by result (success or error).',
    labelNames: ['result'],
    buckets: fetchBuckets,
    registers,
  });
  const operationSeconds = new Histogram({
    name: 'dbops_operation_duration_seconds',
    help: 'Time from the start to the end of an operation that ran, by type and final phase.',
    labelNames: ['type', 'result'],
    buckets: operationBuckets,
    registers,
  });
  if (opts.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    reconcileDone(database: string, result: ReconcileResult, seconds: number) {
      reconciles.inc({ database, result });
      if (result !== 'success') reconcileErrors.inc({ database, result });
      reconcileSeconds.observe({ result }, seconds);
    },
    fetchDone(result: FetchResult, seconds: number) {
      fetchSeconds.observe({ result }, seconds);
    },
    operationDone(type: string, result: string, seconds: number) {
      operationSeconds.observe({ type, result }, seconds);
    },
  };
}

/** The /metrics body for one status document, with nothing recorded and no process metrics. */
export function renderMetrics(doc: StatusDocument): Promise<string> {
  return createPromMetrics({ status: () => doc, processMetrics: false }).render();
}
