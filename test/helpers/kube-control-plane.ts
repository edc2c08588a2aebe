/**
 * A real Kubernetes control plane on loopback for the Kubernetes runtime's tests, envtest-style.
 *
 * What is real: etcd v3.6.16, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl
 * v1.34.12, built from the Go module proxy by test/k8s/build-control-plane.sh (cached outside the
 * repository). The API server enforces what a cluster enforces (RBAC, admission, validation,
 * immutable fields, optimistic concurrency, 410 Gone on old watches); the controller manager
 * runs the real StatefulSet, PVC binding, garbage collection and namespace controllers; the
 * scheduler places pods. Credentials are real client certificates signed by a throwaway CA.
 *
 * What stands in: there is no kubelet and no container runtime. kwok v0.7.0 plays the kubelet
 * of one fake node (`dbops-node-0`): pods scheduled there become Running and Ready. Their
 * addresses come from a /16 of the loopback range that this plane alone uses (127.X.0.0/16:
 * every 127.x address is local on Linux), so a process that binds a pod's address answers
 * there as the pod would, and several pods can use the same port. kwok's server is the node's
 * kubelet endpoint: the API server's port-forward (pods/portforward) reaches it, and it
 * forwards to the address a PortForward object (kwok.x-k8s.io, one per pod) names. Nothing
 * runs the pods' containers unless a test starts stand-ins (kube-containers.ts). Nothing
 * resizes volumes: a test that needs a PVC's new capacity patches `status.capacity` as a CSI
 * resizer would (playStorageDriver). PersistentVolumes are created by the test (static
 * provisioning), as no provisioner runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { allocatePort } from '../../src/runtime/local/ports.js';
import { exited } from './crash-runner.js';

const run = promisify(execFile);

/** The running plane: a kubeconfig with cluster-admin client certs, kubectl, and a stop. */
export interface ControlPlane {
  dir: string;
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The name of the kwok node pods land on. */
  node: string;
  /** The loopback /16 pod addresses come from, such as `127.23`. */
  podNet: string;
  kubectl(...args: string[]): Promise<string>;
  /** `kubectl apply -f` of `manifest` (YAML text, several documents allowed). */
  apply(manifest: string): Promise<void>;
  /** Stops every process and removes the directory. */
  stop(): Promise<void>;
}

async function openssl(dir: string, ...args: string[]) {
  await run('openssl', args, { cwd: dir });
}

/** A key and a certificate for `subject` with extensions `ext`, signed by the test CA. */
async function signed(dir: string, name: string, subject: string, ext: string) {
  await writeFile(join(dir, `${name}.ext`), ext);
  const key = ['-keyout', `${name}.key`, '-out', `${name}.csr`];
  await openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, ...key);
  const ca = ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2'];
  const out = ['-extfile', `${name}.ext`, '-out', `${name}.crt`];
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, ...ca, ...out);
}

/** A CA, a serving cert for 127.0.0.1, a system:masters client cert, a service-account key. */
async function makeCerts(dir: string) {
  const ca = ['-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=dbops-test-ca'];
  await openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...ca);
  const san = 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1';
  await signed(dir, 'server', '/CN=kube-apiserver', `${san}\nextendedKeyUsage=serverAuth`);
  const admin = '/O=system:masters/CN=dbops-test-admin';
  await signed(dir, 'client', admin, 'extendedKeyUsage=clientAuth');
  await openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
  await openssl(dir, 'rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
}

function kubeconfigText(dir: string, server: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    certificate-authority: ${join(dir, 'ca.crt')}
users:
- name: admin
  user:
    client-certificate: ${join(dir, 'client.crt')}
    client-key: ${join(dir, 'client.key')}
contexts:
- name: test
  context:
    cluster: test
    user: admin
    namespace: default
current-context: test
`;
}

/** GET `path` on the API server with the admin client cert; the status code, or 0. */
function apiStatus(dir: string, port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca: readFileSync(join(dir, 'ca.crt')),
        cert: readFileSync(join(dir, 'client.crt')),
        key: readFileSync(join(dir, 'client.key')),
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Claims a /16 of the loopback range for one plane's pods (`127.X`), so that two planes on one
 * machine never give the same pod address: a directory per claim in the temp dir, holding the
 * claimer's pid; the claim of a process that is gone is taken over.
 */
async function claimPodNet(): Promise<{ net: string; release(): Promise<void> }> {
  const start = 2 + Math.floor(Math.random() * 250);
  for (let i = 0; i < 250; i++) {
    const net = `127.${2 + ((start + i) % 250)}`;
    const dir = join(tmpdir(), `dbops-podnet-${net}`);
    try {
      await mkdir(dir);
    } catch {
      const pid = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => '0'));
      if (pid > 0 && alivePid(pid)) continue;
      await rm(dir, { recursive: true, force: true });
      try {
        await mkdir(dir);
      } catch {
        continue;
      }
    }
    await writeFile(join(dir, 'pid'), String(process.pid));
    return { net, release: () => rm(dir, { recursive: true, force: true }) };
  }
  throw new Error('no free 127.X.0.0/16 for pod addresses: remove stale dbops-podnet-* dirs');
}

function alivePid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** kwok's PortForward kind (kwok.x-k8s.io/v1alpha1), which kwok reads with --enable-crds. */
const portForwardCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: portforwards.kwok.x-k8s.io }
spec:
  group: kwok.x-k8s.io
  scope: Namespaced
  names: { kind: PortForward, listKind: PortForwardList, plural: portforwards, singular: portforward }
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources: { status: {} }
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok from `bin`,
 * and registers one kwok node. Resolves once the API server is ready and the node exists.
 */
export async function startControlPlane(bin: string): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'dbops-kube-'));
  const podNet = await claimPodNet();
  const procs: { name: string; child: ChildProcess; log: string[] }[] = [];
  const start = (name: string, args: string[]) => {
    const child = spawn(join(bin, name), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    const keep = (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 200) log.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    procs.push({ name, child, log });
    return child;
  };
  /** Throws with the log of a process of the plane that exited: waiting on is pointless. */
  const alive = () => {
    const dead = procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited: ${dead.log.join('').slice(-2000)}`);
  };
  const stop = async () => {
    for (const p of [...procs].reverse()) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 5000);
        await exited(p.child);
        clearTimeout(t);
      }
    }
    await rm(dir, { recursive: true, force: true });
    await podNet.release();
  };
  try {
    await makeCerts(dir);
    const taken = new Set<number>();
    const port = async () => {
      const p = await allocatePort({ host: '127.0.0.1', bus: false, taken });
      taken.add(p);
      return p;
    };
    const [etcdClient, etcdPeer, apiPort] = [await port(), await port(), await port()];
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    start('etcd', [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true',
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    start('kube-apiserver', [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--cert-dir=${join(dir, 'apiserver')}`,
      `--tls-cert-file=${join(dir, 'server.crt')}`,
      `--tls-private-key-file=${join(dir, 'server.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      // Room for the client Services of a thousand databases (the benchmark).
      '--service-cluster-ip-range=10.0.0.0/16',
      '--allow-privileged=true',
      '--authorization-mode=RBAC',
      // The kwok node's kubelet endpoint is its InternalIP (its Hostname resolves nowhere).
      '--kubelet-preferred-address-types=InternalIP',
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    ]);
    await waitFor(
      systemClock,
      'kube-apiserver /readyz',
      async () => {
        alive();
        return (await apiStatus(dir, apiPort, '/readyz')) === 200 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigText(dir, server), { mode: 0o600 });
    start('kube-controller-manager', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--controllers=*',
      // kwok's heartbeats lag on a loaded machine; past the grace period the node lifecycle
      // controller marks every pod of the node not Ready, and kwok never marks them Ready
      // again. (The controller must run: it lifts the new node's not-ready taint.)
      '--node-monitor-grace-period=1h',
      // Tests create PersistentVolumes for claims as they appear (playing the provisioner);
      // the binder looks every 15 s by default, which would make every claim wait that long.
      '--pvclaimbinder-sync-period=1s',
      `--service-account-private-key-file=${join(dir, 'sa.key')}`,
      `--root-ca-file=${join(dir, 'ca.crt')}`,
      `--cluster-signing-cert-file=${join(dir, 'ca.crt')}`,
      `--cluster-signing-key-file=${join(dir, 'ca.key')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await port()}`,
    ]);
    start('kube-scheduler', [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await port()}`,
    ]);
    const kubectl = async (...args: string[]) => {
      const { stdout } = await run(join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, ...args], {
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    };
    await writeFile(join(dir, 'portforward-crd.yaml'), portForwardCrd);
    await kubectl('apply', '-f', join(dir, 'portforward-crd.yaml'));
    await kubectl('wait', '--for=condition=Established', 'crd/portforwards.kwok.x-k8s.io');
    // kwok's server is the node's kubelet endpoint (port-forward); it serves TLS with a
    // certificate of its own, which the API server does not check without a kubelet CA.
    const kubeletPort = await port();
    start('kwok', [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--manage-nodes-with-label-selector=',
      '--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom',
      `--cidr=${podNet.net}.0.0/16`,
      '--node-ip=127.0.0.1',
      `--node-port=${kubeletPort}`,
      `--server-address=127.0.0.1:${kubeletPort}`,
      '--enable-crds=PortForward',
    ]);
    const node = 'dbops-node-0';
    await writeFile(
      join(dir, 'node.yaml'),
      `apiVersion: v1
kind: Node
metadata:
  name: ${node}
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: ${node}
    kubernetes.io/os: linux
    type: kwok
status:
  allocatable: { cpu: "32", memory: 256Gi, pods: "2000" }
  capacity: { cpu: "32", memory: 256Gi, pods: "2000" }
`,
    );
    await kubectl('apply', '-f', join(dir, 'node.yaml'));
    await waitFor(
      systemClock,
      `node ${node} Ready (kwok)`,
      async () => {
        alive();
        const ready = await kubectl(
          'get',
          'node',
          node,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        );
        return ready === 'True' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    let applied = 0;
    const apply = async (manifest: string) => {
      const file = join(dir, `apply-${++applied}.yaml`);
      await writeFile(file, manifest);
      await kubectl('apply', '-f', file);
    };
    return { dir, kubeconfig, server, node, podNet: podNet.net, kubectl, apply, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Plays the storage driver of namespace `ns` until stopped, as a CSI provisioner and resizer
 * would: binds every pending claim to a PersistentVolume it creates, and reports a resized
 * claim's capacity when its StorageClass allows expansion.
 */
export function playStorageDriver(kubeconfig: string, ns: string): { stop(): void } {
  const { core, storage } = kubeApis(loadKubeConfig({ kubeconfig }).config);
  let busy = false;
  const tick = async () => {
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
    for (const c of claims.items) {
      const name = c.metadata!.name!;
      const asked = c.spec!.resources!.requests!.storage!;
      if (c.status?.phase === 'Pending' && !c.spec?.volumeName) {
        await core
          .createPersistentVolume({
            body: {
              metadata: { name: `pv-${ns}-${name}` },
              spec: {
                capacity: { storage: asked },
                accessModes: ['ReadWriteOnce'],
                storageClassName: c.spec!.storageClassName!,
                claimRef: { namespace: ns, name },
                csi: { driver: 'dbops.test', volumeHandle: `${ns}-${name}` },
              },
            },
          })
          .catch(() => undefined);
      } else if (c.status?.phase === 'Bound' && c.status.capacity?.storage !== asked) {
        const sc = await storage.readStorageClass({ name: c.spec!.storageClassName! });
        if (!sc.allowVolumeExpansion) continue;
        c.status.capacity = { storage: asked };
        await core
          .replaceNamespacedPersistentVolumeClaimStatus({ name, namespace: ns, body: c })
          .catch(() => undefined);
      }
    }
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void tick()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 150);
  return { stop: () => clearInterval(timer) };
}

/**
 * A StorageClass of the storage driver the tests play (playStorageDriver); `isDefault`: the
 * class of claims that name none.
 */
export function storageClass(name: string, allowVolumeExpansion: boolean, isDefault = false) {
  const annotations = isDefault
    ? ', annotations: { storageclass.kubernetes.io/is-default-class: "true" }'
    : '';
  return `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: ${name}${annotations} }
provisioner: dbops.test
allowVolumeExpansion: ${allowVolumeExpansion}
`;
}

/** A Namespace. */
export const namespace = (name: string) =>
  `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name} }\n`;
