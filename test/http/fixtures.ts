import { createHmac } from 'node:crypto';
import type { DatabaseStatus, StatusDocument } from '../../src/api/status.js';
import type { HttpDeps, HttpRequest } from '../../src/http/handler.js';
import { createPromMetrics } from '../../src/http/metrics.js';
import { ManualClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';

/** A Redis standalone database with one ready member. */
export const cache: DatabaseStatus = {
  name: 'cache',
  kind: 'Redis',
  mode: 'Standalone',
  phase: 'Ready',
  revision: 'a'.repeat(40),
  version: { desired: '7.0', running: '7.0.15' },
  conditions: [],
  effective: {},
  applied: null,
  haltedForRemoval: false,
  members: [
    {
      name: 'cache-0',
      role: 'master',
      endpoint: '127.0.0.1:7000',
      ready: true,
      restarts: 2,
      volume: { type: 'directory', capacityBytes: 1073741824, usedBytes: 1048576 },
    },
  ],
};

/** A small status: one database, no errors, one pending OpsRequest. */
export function statusFixture(over: Partial<StatusDocument> = {}): StatusDocument {
  return {
    apiVersion: 'dbops.dev/v1',
    revision: 'a'.repeat(40),
    source: 'http://git.example/repo.git',
    runtime: 'local',
    updatedAt: '2026-01-01T00:00:00.000Z',
    sourceError: null,
    conditions: [],
    errors: [],
    databases: [cache],
    opsRequests: [
      {
        name: 'expand',
        database: 'cache',
        type: 'VolumeExpansion',
        phase: 'Pending',
        file: 'ops/20260101-000000-cache-volumeexpansion.yaml',
        digest: 'd',
        origin: 'OpsRequest',
        revision: 'a'.repeat(40),
        position: 1,
        reason: null,
        message: null,
        createdAt: '2026-01-01T00:00:00.000Z',
        startedAt: null,
        finishedAt: null,
        steps: [],
      },
    ],
    autoscalers: [],
    ...over,
  };
}

/** The fixtures' clock reading: 2026-01-01T00:00:00Z. */
export const fixtureNow = Date.UTC(2026, 0, 1);

/**
 * Deps that count refresh calls; `status` and `ready` can be swapped per test, and /metrics
 * reads whatever `status` returns (no process metrics).
 */
export function depsFixture(over: Partial<HttpDeps> = {}): HttpDeps & { refreshes: number } {
  const deps = {
    refreshes: 0,
    status: () => statusFixture(),
    metrics: createPromMetrics({
      status: (): StatusDocument => deps.status(),
      processMetrics: false,
    }),
    refresh: () => {
      deps.refreshes += 1;
    },
    ready: () => true,
    webhook: { secret: 'hook-secret', branch: 'main' },
    log: silentLogger(),
    clock: new ManualClock(fixtureNow),
    ...over,
  };
  return deps;
}

/** Hex HMAC-SHA256 of a body, as forges sign deliveries. */
export function sign(secret: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The headers of a generic-route delivery: the HMAC covers `<timestamp>.<body>`. */
export function signGeneric(
  secret: string,
  body: string,
  timestamp: number | string,
): Record<string, string> {
  const ts = String(timestamp);
  return {
    'x-dbops-timestamp': ts,
    'x-dbops-signature': `sha256=${sign(secret, `${ts}.${body}`)}`,
  };
}

/** A request with a UTF-8 body. */
export function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): HttpRequest {
  return { method, path, headers, body: new TextEncoder().encode(body) };
}
