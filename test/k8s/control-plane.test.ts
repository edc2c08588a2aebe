import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { startControlPlane, type ControlPlane } from '../helpers/kube-control-plane.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');

// The harness itself, before any runtime code relies on it: what a cluster does that the
// Kubernetes runtime's tests will lean on, checked against the real binaries.
describe.skipIf(!bin)(`the test control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  const jsonpath = (what: string, path: string) =>
    cp.kubectl('get', ...what.split(' '), '-o', `jsonpath=${path}`);

  beforeAll(async () => {
    cp = await startControlPlane(bin);
  });
  afterAll(() => cp?.stop());

  it('serves v1.34.12 to client-node through a kubeconfig of client certificates, with the kwok node', async () => {
    const { config, namespace, source } = loadKubeConfig({ kubeconfig: cp.kubeconfig });
    expect(source).toBe(cp.kubeconfig);
    expect(namespace).toBe('default');
    const { core } = kubeApis(config);
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual([cp.node]);
    const version = JSON.parse(await cp.kubectl('version', '-o', 'json')) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe('v1.34.12');
  });

  it('runs a StatefulSet: the pod is Ready on the fake node, the claim binds; orphan delete and re-create adopt the pod', async () => {
    await writeFile(
      join(cp.dir, 'sts.yaml'),
      `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: expandable }
provisioner: dbops.test/none
allowVolumeExpansion: true
volumeBindingMode: Immediate
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-web-0 }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: expandable
  claimRef: { namespace: default, name: data-web-0 }
  csi: { driver: dbops.test, volumeHandle: web-0 }
---
apiVersion: v1
kind: Service
metadata: { name: web-pods }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ port: 6379 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: web-pods
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: redis
        image: redis:7.0.15
        ports: [{ containerPort: 6379 }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: expandable
      resources: { requests: { storage: 1Gi } }
`,
    );
    await cp.kubectl('apply', '-f', join(cp.dir, 'sts.yaml'));
    await waitFor(
      systemClock,
      'web-0 Ready and data-web-0 Bound',
      async () => {
        const ready = await jsonpath(
          'pod web-0',
          '{.status.conditions[?(@.type=="Ready")].status}',
        ).catch(() => '');
        const bound = await jsonpath('pvc data-web-0', '{.status.phase}').catch(() => '');
        return ready === 'True' && bound === 'Bound' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(await jsonpath('pod web-0', '{.spec.nodeName}')).toBe(cp.node);
    const uid = await jsonpath('pod web-0', '{.metadata.uid}');
    // Claim templates are immutable: changing the size is refused by the server.
    const patch = JSON.stringify({
      spec: {
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
          },
        ],
      },
    });
    await expect(
      cp.kubectl('patch', 'statefulset', 'web', '--type=merge', '-p', patch),
    ).rejects.toThrow(/Forbidden|updates to statefulset spec/);
    // What the runtime will do instead: delete the set, leaving its pod, and create it again.
    await cp.kubectl('delete', 'statefulset', 'web', '--cascade=orphan', '--wait=true');
    await cp.kubectl('apply', '-f', join(cp.dir, 'sts.yaml'));
    await waitFor(
      systemClock,
      'the re-created set to adopt web-0',
      async () => {
        const owner = await jsonpath('pod web-0', '{.metadata.ownerReferences[0].kind}').catch(
          () => '',
        );
        const ready = await jsonpath('statefulset web', '{.status.readyReplicas}').catch(() => '');
        return owner === 'StatefulSet' && ready === '1' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(await jsonpath('pod web-0', '{.metadata.uid}')).toBe(uid);
  });
});
