// The controller's side of the kube-noop benchmark (kube-noop.ts), in a process of its own
// and on the compiled code (dist/, `npm run build`) as the controller image runs it, so that
// its peak RSS is the runtime's alone: `provision` brings N standalone Redis databases up;
// `passes` opens a new runtime (as a restarted controller would) and runs reconcile passes
// over all of them with the runtime calls a reconcile makes (ensureCredentials,
// ensureMembers, observe), counting every request the runtime sends to the API server.
// Usage: node kube-noop-worker.js <kubeconfig> <namespace> <count> provision|passes
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { URL } from 'node:url';
import process, { argv, stderr, stdout } from 'node:process';
import { memberProber } from '../../dist/main.js';
import { systemClock, waitFor } from '../../dist/platform/clock.js';
import { silentLogger } from '../../dist/platform/logger.js';
import { topology } from '../../dist/plan/topology.js';
import { loadKubeConfig } from '../../dist/runtime/kubernetes/kube-config.js';
import { KubeRuntime } from '../../dist/runtime/kubernetes/kube-runtime.js';

// What the process holds once everything is loaded, before any work.
const baseRssMiB = process.memoryUsage().rss / 1024 / 1024;
const [kubeconfig, namespace, countText, mode] = argv.slice(2);
const count = Number(countText);
const { config } = loadKubeConfig({ kubeconfig });

// Every request client-node makes goes through one of these three (REST calls, watches,
// WebSockets): counted, with what it was, by wrapping them on this configuration.
const requests = [];
for (const name of ['applySecurityAuthentication', 'applyToFetchOptions', 'applyToHTTPSOptions']) {
  const original = config[name].bind(config);
  config[name] = (...args) => {
    const ctx = args[0];
    requests.push(
      ctx && typeof ctx.getUrl === 'function'
        ? `${ctx.getHttpMethod()} ${new URL(ctx.getUrl()).pathname}`
        : name,
    );
    return original(...args);
  };
}

const runtime = new KubeRuntime({
  config,
  namespace,
  clock: systemClock,
  log: silentLogger(),
  reach: 'pod',
  prober: memberProber,
  cache: true,
});
// Normalised standalone Redis specs, as the controller hands them to the runtime.
const specs = Array.from({ length: count }, (_, i) => ({
  kind: 'Redis',
  name: `db${String(i).padStart(4, '0')}`,
  version: '7.0.15',
  mode: 'Standalone',
  shards: 1,
  replicas: 1,
  storageType: 'Durable',
  storageBytes: 64 * 1024 * 1024,
  config: {},
  halted: false,
  deletionPolicy: 'Delete',
}));

/** Runs `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

if (mode === 'provision') {
  const t0 = performance.now();
  let up = 0;
  const progress = setInterval(() => stderr.write(`kube-noop: ${up}/${count} up\n`), 10_000);
  await pool(specs, 16, async (spec) => {
    await waitFor(
      systemClock,
      `${spec.name} up`,
      async () => ((await runtime.ensureMembers(spec, topology(spec))).done ? true : undefined),
      { timeoutMs: 600_000, intervalMs: 500 },
    );
    up++;
  });
  clearInterval(progress);
  await runtime.close();
  stdout.write(JSON.stringify({ provisionMs: performance.now() - t0, requests: requests.length }));
} else {
  const t0 = performance.now();
  const names = await runtime.list();
  const warmMs = performance.now() - t0;
  const warmRequests = requests.length;
  const passes = [];
  for (let p = 0; p < 3; p++) {
    const before = requests.length;
    const start = performance.now();
    let notDone = 0;
    await pool(specs, 16, async (spec) => {
      await runtime.ensureCredentials(spec);
      if (!(await runtime.ensureMembers(spec, topology(spec))).done) notDone++;
      await runtime.observe(spec.name);
    });
    passes.push({
      ms: performance.now() - start,
      requests: requests.length - before,
      notDone,
      sample: [...new Set(requests.slice(before))].slice(0, 3),
    });
  }
  await runtime.close();
  stdout.write(
    JSON.stringify({
      databases: names.length,
      warmMs,
      warmRequests,
      passes,
      baseRssMiB,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}
