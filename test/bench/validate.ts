// Loads a generated repository of 1,000 databases (with OpsRequests and autoscalers) and
// compares the time of loadDesiredState with JSON.parse of the same documents as JSON: the
// baseline is the cheapest possible parse of the same data, no YAML, no validation.
import { performance } from 'node:perf_hooks';
import { loadDesiredState } from '../../src/manifests/load.js';
import {
  autoscalerDoc,
  opsDoc,
  postgresDoc,
  redisDoc,
  yamlFile,
} from '../../src/manifests/fixtures.js';
import type { SourceFile } from '../../src/source/source.js';

const databases = 1000;
const runs = 5;

/**
 * A repository of `count` databases (1,000 by default): Cluster, standalone and Postgres,
 * with ops and autoscalers.
 */
export function generate(count = databases): { files: SourceFile[]; docs: unknown[] } {
  const docs: unknown[] = [];
  const files: SourceFile[] = [];
  const add = (path: string, doc: unknown) => {
    docs.push(doc);
    files.push(yamlFile(path, doc));
  };
  for (let i = 0; i < count; i++) {
    const name = `db-${i}`;
    const config = {
      inline: { 'redis.conf': 'maxmemory 256mb\nmaxmemory-policy allkeys-lru\nsave 900 1\n' },
    };
    if (i % 10 < 4)
      add(
        `databases/${name}.yaml`,
        redisDoc(name, {
          mode: 'Cluster',
          cluster: { shards: 3, replicas: 2 },
          configuration: config,
        }),
      );
    else if (i % 10 < 7) add(`databases/${name}.yaml`, redisDoc(name, { configuration: config }));
    else
      add(
        `databases/${name}.yaml`,
        postgresDoc(name, {
          replicas: 2,
          configuration: {
            inline: { 'user.conf': "max_connections = 200\nshared_buffers = '256MB'\n" },
          },
        }),
      );
    const redis = i % 10 < 7;
    const opsKind = redis ? 'RedisOpsRequest' : 'PostgresOpsRequest';
    if (i % 3 === 0) {
      add(
        `ops/20260101-000000-${name}-volumeexpansion.yaml`,
        opsDoc(opsKind, `${name}-grow`, name, 'VolumeExpansion', {
          volumeExpansion: { [redis ? 'redis' : 'postgres']: '2Gi' },
        }),
      );
    }
    if (i % 5 === 0) {
      const file = redis ? 'redis.conf' : 'user.conf';
      const text = redis ? 'maxmemory 512mb' : 'work_mem = 8MB';
      add(
        `ops/20260102-000000-${name}-reconfigure.yaml`,
        opsDoc(opsKind, `${name}-cfg`, name, 'Reconfigure', {
          configuration: { applyConfig: { [file]: text } },
        }),
      );
    }
    if (i % 4 === 0) {
      const section = !redis ? 'postgres' : i % 10 < 4 ? 'cluster' : 'standalone';
      add(
        `autoscalers/${name}.yaml`,
        autoscalerDoc(
          redis ? 'RedisAutoscaler' : 'PostgresAutoscaler',
          `${name}-as`,
          name,
          section,
          { upperBound: '100Gi' },
        ),
      );
    }
  }
  return { files, docs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Benchmark: loadDesiredState on 1,000 databases vs JSON.parse of the same documents. */
export async function run(): Promise<{ title: string; rows: { label: string; value: string }[] }> {
  const { files, docs } = generate();
  const json = docs.map((d) => JSON.stringify(d));
  const bytes = files.reduce((n, f) => n + f.size, 0);
  let databasesLoaded = 0;
  let errors = 0;
  time(() => loadDesiredState({ revision: 'warm', files })); // warm-up: JIT and module caches
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const loads: number[] = [];
  let heapDelta = 0;
  for (let i = 0; i < runs; i++) {
    loads.push(
      time(() => {
        const s = loadDesiredState({ revision: `r${i}`, files });
        databasesLoaded = s.databases.size;
        errors = s.errors.length;
        heapDelta = Math.max(heapDelta, process.memoryUsage().heapUsed - heapBefore);
      }),
    );
  }
  const rssDelta = process.memoryUsage().rss - rssBefore;
  const parses: number[] = [];
  for (let i = 0; i < runs; i++)
    parses.push(time(() => json.forEach((t) => JSON.parse(t) as unknown)));
  const load = median(loads);
  const parse = median(parses);
  await Promise.resolve();
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  return {
    title: `manifests: loadDesiredState on ${databases} databases (${files.length} files, ${mb(bytes)} of YAML)`,
    rows: [
      { label: 'databases loaded / errors', value: `${databasesLoaded} / ${errors}` },
      { label: `loadDesiredState (median of ${runs})`, value: `${load.toFixed(1)} ms` },
      { label: `JSON.parse of the same docs (baseline)`, value: `${parse.toFixed(2)} ms` },
      { label: 'ratio load / JSON.parse', value: `${(load / parse).toFixed(0)}x` },
      { label: 'per database (load)', value: `${((load / databases) * 1000).toFixed(0)} µs` },
      { label: 'heap delta during a load (max)', value: mb(heapDelta) },
      { label: 'RSS delta over the runs', value: mb(rssDelta) },
      { label: 'peak RSS of the process', value: mb(process.resourceUsage().maxRSS * 1024) },
    ],
  };
}
