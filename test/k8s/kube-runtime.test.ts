// The Kubernetes runtime against the real API server, controller manager and scheduler, with
// kwok as the kubelet. The test plays the storage driver (playStorageDriver) and the
// containers (runContainers: real redis-server and postgres on the pods' addresses), and the
// runtime reaches them through the API server's port-forward, as from a laptop.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codes } from '../../src/errors.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { topology } from '../../src/plan/topology.js';
import { loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { KubeRuntime } from '../../src/runtime/kubernetes/kube-runtime.js';
import { memberProber } from '../../src/main.js';
import { runContainers, type Containers } from '../helpers/kube-containers.js';
import type { ExpansionMode } from '../../src/runtime/runtime.js';
import {
  namespace,
  playStorageDriver,
  startControlPlane,
  storageClass,
  type ControlPlane,
} from '../helpers/kube-control-plane.js';
import { untilDone } from '../runtime/helpers.js';
import { postgresSpec, redisSpec } from '../runtime/specs.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const ns = 'prod';
const GiB = 1024 ** 3;

describe.skipIf(!bin)(
  `Kubernetes runtime on a real control plane${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let cp: ControlPlane;
    let rt: KubeRuntime;
    let driver: { stop(): void } | undefined;
    let containers: Containers | undefined;
    const jsonpath = (what: string, path: string) =>
      cp.kubectl('get', '-n', ns, ...what.split(' '), '-o', `jsonpath=${path}`);

    beforeAll(async () => {
      cp = await startControlPlane(bin);
      const classes = `${storageClass('expandable', true)}---\n${storageClass('fixed', false)}`;
      await cp.apply(`${namespace(ns)}---\n${classes}`);
      rt = new KubeRuntime({
        config: loadKubeConfig({ kubeconfig: cp.kubeconfig }).config,
        namespace: ns,
        clock: systemClock,
        log: silentLogger(),
        reach: 'port-forward',
        prober: memberProber,
      });
      driver = playStorageDriver(cp.kubeconfig, ns);
      containers = await runContainers(cp.kubeconfig, ns);
    });
    afterAll(async () => {
      await rt?.close();
      await containers?.stop();
      driver?.stop();
      await cp?.stop();
    });

    it('provisions a Redis and a Postgres with a standby: ensureMembers waits until every pod is Ready and its server answers through the port-forward, then observe shows them', async () => {
      const specs = [
        redisSpec('cache', { storageClassName: 'expandable' }),
        postgresSpec('orders', { replicas: 2, storageClassName: 'expandable' }),
      ];
      for (const spec of specs) {
        const first = await rt.ensureMembers(spec, topology(spec));
        expect(first).toMatchObject({
          done: false,
          waiting: expect.stringMatching(/pods not Ready yet/) as unknown,
        });
        await untilDone(`${spec.name} Ready`, () => rt.ensureMembers(spec, topology(spec)));
      }
      expect(await rt.list()).toEqual(['cache', 'orders']);
      const orders = (await rt.observe('orders'))!;
      expect(orders.members.map((m) => [m.name, m.role, m.running])).toEqual([
        ['orders-0', 'primary', true],
        ['orders-1', 'standby', true],
      ]);
      for (const m of orders.members) {
        expect(m.instance).toBe(await jsonpath(`pod ${m.name}`, '{.metadata.uid}'));
        expect(m.volume).toMatchObject({ type: 'pvc', capacityBytes: GiB });
        // Reached through a local port-forward; the others know it at the pod's address.
        expect(m.endpoint.host).toBe('127.0.0.1');
        expect(m.peer).toEqual({
          host: await jsonpath(`pod ${m.name}`, '{.status.podIP}'),
          port: 5432,
        });
      }
      expect(await rt.observe('nothing')).toBeUndefined();
    });

    it('generates credentials once and keeps them in the auth Secret, never anywhere else', async () => {
      const spec = redisSpec('cache', { storageClassName: 'expandable' });
      const a = await rt.ensureCredentials(spec);
      expect(await rt.ensureCredentials(spec)).toEqual(a);
      expect(await rt.credentials('cache')).toEqual(a);
      const stored = await jsonpath('secret cache-auth', '{.data.password}');
      expect(Buffer.from(stored, 'base64').toString()).toBe(a.password);
      expect(
        await cp.kubectl('get', 'configmap', 'cache-dbops', '-n', ns, '-o', 'yaml'),
      ).not.toContain(a.password);
    });

    it.each<[ExpansionMode, boolean]>([
      ['Online', true],
      ['Offline', false],
    ])(
      'expands %s: the PVC grows, then the StatefulSet is replaced with the new claim template and adopts the pod',
      async (mode, samePod) => {
        const name = `grow-${mode.toLowerCase()}`;
        const spec = redisSpec(name, { storageClassName: 'expandable' });
        await untilDone(`${name} Ready`, () => rt.ensureMembers(spec, topology(spec)));
        const uid = await jsonpath(`pod ${name}-0`, '{.metadata.uid}');
        const grown = await untilDone(`${name}-0 grown`, () =>
          rt.expandVolume(name, `${name}-0`, 2 * GiB, mode),
        );
        expect(grown.capacityBytes).toBe(2 * GiB);
        await untilDone(`${name} claim template replaced`, () =>
          rt.finishVolumeExpansion(name, 2 * GiB),
        );
        expect(
          await jsonpath(
            `statefulset ${name}`,
            '{.spec.volumeClaimTemplates[0].spec.resources.requests.storage}',
          ),
        ).toBe(String(2 * GiB));
        await waitFor(
          systemClock,
          `${name}-0 owned by the new StatefulSet and Ready`,
          async () => {
            const owner = await jsonpath(
              `pod ${name}-0`,
              '{.metadata.ownerReferences[0].uid}',
            ).catch(() => '');
            const sts = await jsonpath(`statefulset ${name}`, '{.metadata.uid}');
            const ready = (await rt.observe(name))!.members[0]!.running;
            return owner === sts && ready ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 200 },
        );
        const after = await jsonpath(`pod ${name}-0`, '{.metadata.uid}');
        expect(after === uid).toBe(samePod);
        // Done means done: asking again changes nothing.
        expect(await rt.expandVolume(name, `${name}-0`, 2 * GiB, mode)).toMatchObject({
          done: true,
        });
        expect(await jsonpath(`pod ${name}-0`, '{.metadata.uid}')).toBe(after);
      },
    );

    it('refuses, by name, to grow a volume whose StorageClass does not allow it, and changes nothing', async () => {
      const spec = redisSpec('stuck', { storageClassName: 'fixed' });
      await untilDone('stuck Ready', () => rt.ensureMembers(spec, topology(spec)));
      const err = await rt.expandVolume('stuck', 'stuck-0', 2 * GiB, 'Online').then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.code).toBe(codes.unsupported);
      expect(err?.message).toMatch(
        /data-stuck-0: StorageClass fixed does not set allowVolumeExpansion: true/,
      );
      expect(await jsonpath('pvc data-stuck-0', '{.spec.resources.requests.storage}')).toBe(
        String(GiB),
      );
    });

    it('restartMember replaces the pod and returns once the new one is Ready', async () => {
      const before = (await rt.observe('orders'))!.members[1]!;
      await rt.restartMember('orders', 'orders-1');
      const after = (await rt.observe('orders'))!.members[1]!;
      expect(after.running).toBe(true);
      expect(after.instance).not.toBe(before.instance);
      expect(after.instance).toBe(await jsonpath('pod orders-1', '{.metadata.uid}'));
      const events = await cp.kubectl(
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        `involvedObject.uid=${before.instance}`,
        '-o',
        'jsonpath={.items[*].reason}',
      );
      expect(events).toContain('Restarting');
      expect((await rt.observe('orders'))!.members[0]!.instance).toBeDefined();
    });

    it('halt scales to zero and keeps claims and credentials; wipe removes everything, claims included', async () => {
      const creds = await rt.credentials('cache');
      await rt.halt('cache');
      expect(await jsonpath('statefulset cache', '{.spec.replicas}')).toBe('0');
      await waitFor(
        systemClock,
        'the pod of cache to go',
        async () => ((await rt.observe('cache'))!.members[0]!.instance ? undefined : true),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(await jsonpath('pvc data-cache-0', '{.metadata.name}')).toBe('data-cache-0');
      expect(await rt.credentials('cache')).toEqual(creds);
      await rt.wipe('cache');
      expect(await rt.observe('cache')).toBeUndefined();
      await waitFor(
        systemClock,
        'everything of cache to be gone',
        async () => {
          const left = await cp.kubectl(
            'get',
            'statefulsets,services,secrets,pvc',
            '-n',
            ns,
            '-l',
            'app.kubernetes.io/instance=cache',
            '-o',
            'name',
          );
          return left.trim() === '' ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(await rt.list()).not.toContain('cache');
    });
  },
);
