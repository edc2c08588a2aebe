// The runtime contract (test/runtime/contract*.ts) against the Kubernetes runtime on a real
// control plane: the suites the local runtime passes, with real servers standing in for the
// pods' containers (kube-containers.ts) and the runtime reaching them through the API
// server's port-forward. Every skip says why.
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { createLocalRuntime } from '../../src/runtime/local/local-runtime.js';
import { processesMentioning } from '../runtime/helpers.js';
import { systemClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { memberProber } from '../../src/main.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { KubeRuntime } from '../../src/runtime/kubernetes/kube-runtime.js';
import { runContainers } from '../helpers/kube-containers.js';
import {
  namespace,
  playStorageDriver,
  startControlPlane,
  storageClass,
} from '../helpers/kube-control-plane.js';
import { runRuntimeContract } from '../runtime/contract.js';
import { runDay2Contract } from '../runtime/contract-day2.js';
import type { ContractHarness } from '../runtime/harness.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const ns = 'contract';

/**
 * Kubernetes' harness: a control plane of its own, instances are pod uids, a crash is the
 * pod's server SIGKILLed and the pod force-deleted (a node lost with it).
 */
async function kubeHarness(): Promise<ContractHarness> {
  // The controller checks configurations with scratch servers of its own (validateConfig).
  const validateDir = await mkdtemp(join(tmpdir(), 'dbops-validate-'));
  await chmod(validateDir, 0o755);
  const validator = await createLocalRuntime({
    stateDir: validateDir,
    clock: systemClock,
    log: silentLogger(),
    prober: memberProber,
    redisClusterNodeTimeoutMs: 500,
    volumes: 'directory',
  });
  const cp = await startControlPlane(bin);
  await cp.apply(`${namespace(ns)}---\n${storageClass('standard', true, true)}`);
  const driver = playStorageDriver(cp.kubeconfig, ns);
  const containers = await runContainers(cp.kubeconfig, ns);
  const config = loadKubeConfig({ kubeconfig: cp.kubeconfig }).config;
  const { core } = kubeApis(config);
  const make = () =>
    new KubeRuntime({
      config,
      namespace: ns,
      clock: systemClock,
      log: silentLogger(),
      reach: 'port-forward',
      prober: memberProber,
      // Reads from informers, as the controller does (kube-runtime.test.ts reads directly).
      cache: true,
      validator,
    });
  const pods = async () => (await core.listNamespacedPod({ namespace: ns })).items;
  const h: ContractHarness = {
    runtime: make(),
    async kill(instance) {
      const pod = (await pods()).find((p) => p.metadata?.uid === instance);
      if (!pod) return;
      containers.kill(pod.metadata!.name!);
      await core.deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: ns,
        gracePeriodSeconds: 0,
      });
    },
    async gone(instance) {
      return (
        !containers.runs(instance) && !(await pods()).some((p) => p.metadata?.uid === instance)
      );
    },
    instances: async () =>
      (await pods())
        .filter((p) => !p.metadata?.deletionTimestamp)
        .map((p) => p.metadata!.uid!)
        .sort(),
    // Scratch servers beside the controller, and any pod that no StatefulSet owns.
    leftovers: async () => [
      ...(await processesMentioning(validateDir)).map((pid) => `process ${pid}`),
      ...(await readdir(join(validateDir, 'runtime', '.scratch')).catch(() => [])),
      ...(await pods())
        .filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === 'StatefulSet'))
        .map((p) => `pod ${p.metadata!.name}`),
    ],
    async reopen() {
      // The validator outlives the runtime it serves here (a controller makes a new one).
      await h.runtime.close({ stopMembers: false });
      h.runtime = make();
      return h.runtime;
    },
    async cleanup() {
      await h.runtime.close({ stopMembers: false });
      await containers.stop();
      driver.stop();
      await cp.stop();
      await rm(validateDir, { recursive: true, force: true });
    },
  };
  return h;
}

describe.skipIf(!bin)(`Kubernetes runtime contract${skip ? ` (skipped: ${skip})` : ''}`, () => {
  runRuntimeContract({
    name: 'kubernetes',
    make: kubeHarness,
    skip: {
      'a member killed with SIGKILL comes back':
        'on Kubernetes a crashed server is restarted by the kubelet inside the same pod (same uid, restartCount kept by the kubelet, which kwok does not emulate), and the runtime emits no member events yet (no pod watches)',
    },
  });
  runDay2Contract({ name: 'kubernetes', make: kubeHarness });
});
