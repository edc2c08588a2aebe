// A no-op reconcile of 1,000 databases on a real API server (test/helpers/kube-control-plane.ts),
// each a standalone Redis whose server really runs (kube-containers.ts: 1,000 redis-server
// processes on the pods' addresses). The runtime runs in its own process
// (kube-noop-worker.js, on the compiled code), reaching the pods at their addresses as in the cluster: it is
// restarted after provisioning, warms its informers, and makes three passes of the runtime
// calls a reconcile makes. Figures: wall time, API requests per pass, peak RSS. For scale,
// Flux's published benchmark reconciles 1,000 Kustomizations in 4 m 16 s.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runContainers } from '../helpers/kube-containers.js';
import {
  namespace,
  playStorageDriver,
  startControlPlane,
  storageClass,
} from '../helpers/kube-control-plane.js';

const exec = promisify(execFile);
const count = Number(process.env.DBOPS_BENCH_DATABASES ?? 1000);
const ns = 'bench';
const script = fileURLToPath(new URL('../k8s/build-control-plane.sh', import.meta.url));
const worker = fileURLToPath(new URL('./kube-noop-worker.js', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

function work(kubeconfig: string, mode: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, kubeconfig, ns, String(count), mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`kube-noop worker ${mode} exited ${code}`));
      else resolve(JSON.parse(out) as Record<string, unknown>);
    });
  });
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function run() {
  const title = `No-op reconcile of ${count} databases on a real API server (Kubernetes runtime)`;
  let bin: string;
  try {
    const { stdout } = await exec('bash', [script], { maxBuffer: 16 * 1024 * 1024 });
    bin = stdout.trim().split('\n').at(-1)!;
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? String(err);
    return { title, rows: [{ label: 'skipped', value: why }] };
  }
  // The worker runs the compiled controller code, as the image does.
  await exec('npm', ['run', 'build', '--silent'], { cwd: root });
  const cp = await startControlPlane(bin);
  await cp.apply(`${namespace(ns)}---\n${storageClass('standard', true, true)}`);
  const driver = playStorageDriver(cp.kubeconfig, ns);
  const containers = await runContainers(cp.kubeconfig, ns);
  try {
    const prov = await work(cp.kubeconfig, 'provision');
    const r = (await work(cp.kubeconfig, 'passes')) as {
      databases: number;
      warmMs: number;
      warmRequests: number;
      passes: { ms: number; requests: number; notDone: number; sample: string[] }[];
      baseRssMiB: number;
      maxRssMiB: number;
    };
    const flux = 256_000;
    const rows = [
      {
        label: 'provisioning (first apply, pods, claims, servers)',
        value: s(prov.provisionMs as number),
      },
      {
        label: 'restarted runtime: informers listed',
        value: `${r.databases} databases, ${s(r.warmMs)}, ${r.warmRequests} requests (list + watch of 7 kinds)`,
      },
      ...r.passes.map((p, i) => ({
        label: `pass ${i + 1}${i === 0 ? ' (first after restart: applies once)' : ''}`,
        value: `${s(p.ms)} (${(flux / p.ms).toFixed(0)}x faster than Flux's 4 m 16 s), ${p.requests} API requests, ${p.notDone} not done${p.sample.length ? `; e.g. ${p.sample.join(', ')}` : ''}`,
      })),
      {
        label: 'peak RSS of the runtime process',
        value: `${r.maxRssMiB.toFixed(0)} MiB (target < 150 MiB); ${r.baseRssMiB.toFixed(0)} MiB of it once the code is loaded, before any work`,
      },
    ];
    return { title, rows };
  } finally {
    await containers.stop();
    driver.stop();
    await cp.stop();
  }
}
