/**
 * The Kubernetes runtime: members are the pods of StatefulSets, volumes their PVCs, credentials
 * a Secret per database. It drives the objects (objects.ts) and their lifecycle: provision,
 * observe, halt, wipe, restart and volume expansion. The controller reaches the servers at the
 * pods' addresses when it runs in the cluster, and through the API server's port-forward from
 * outside (`reach`); the Redis Cluster and Postgres logic of src/db/ runs unchanged over
 * either, with the pods' own addresses as what members know each other by (`peer`).
 * Not yet: volume usage from kubelet stats, member events from watches; those say what they
 * lack.
 */
import { randomBytes } from 'node:crypto';
import {
  type AppsV1Api,
  type CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type StorageV1Api,
  type V1PersistentVolumeClaim,
  type V1ConfigMap,
  type V1Pod,
  type V1Secret,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { DatabaseSpec } from '../../api/desired.js';
import { parseQuantity } from '../../api/quantity.js';
import { codes, stalled } from '../../errors.js';
import { waitFor, type Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import { topology } from '../../plan/topology.js';
import {
  finished,
  type Credentials,
  type Endpoint,
  type ExpansionMode,
  type MemberPlan,
  type ObservedDatabase,
  type ObservedMember,
  type Progress,
  type PublishedStatus,
  type Runtime,
  type RuntimeEvent,
  type VolumeStatus,
} from '../runtime.js';
import type { MemberProber } from '../member-prober.js';
import { Applier } from './apply.js';
import {
  configFromSecret,
  credentialsFromSecret,
  generateCredentials,
  layeredConfig,
  withoutSecretValues,
  type SecretStore,
} from '../secrets.js';
import { KubeCache, type CachedKind } from './cache.js';
import { kubeSecrets } from './secret-store.js';
import type { KubeObject } from './objects.js';
import { PortForwards } from './port-forward.js';
import { apiStatus, kubeApis } from './kube-config.js';
import {
  databaseObjects,
  defaultImage,
  names,
  selectorOf,
  serverPort,
  statefulSetNames,
} from './objects.js';

const notFound = (err: unknown) => apiStatus(err) === 404;
/** For deletes: an object already gone is what was asked. */
const unlessGone = (err: unknown) => {
  if (!notFound(err)) throw err;
};
const podReady = (p: V1Pod | undefined) =>
  !!p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const selector = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
const bytesOf = (q: string | undefined) => {
  const r = q ? parseQuantity(q) : undefined;
  return r?.ok ? r.bytes : 0;
};
const managedLabels = { 'app.kubernetes.io/managed-by': 'dbops' };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const phaseLabel = 'dbops.dev/phase';
const statusAnnotation = 'dbops.dev/status';
const waiting = (what: string, retryAfterMs = 1000): Progress<never> => ({
  done: false,
  waiting: what,
  retryAfterMs,
});

function unsupported(what: string): never {
  throw stalled(codes.unsupported, `${what} is not supported yet on the Kubernetes runtime`, {
    hint: 'run this database on the local runtime for now (dbops run --runtime local)',
  });
}

export interface KubeRuntimeOptions {
  config: KubeConfig;
  /** The namespace of databases whose manifest names none. */
  namespace: string;
  clock: Clock;
  log: Logger;
  /** The image of a database (default: the official image at its version). */
  image?: (spec: DatabaseSpec) => string;
  /** Deadline of waits inside a call, such as a restarted pod coming back (default 5 min). */
  waitMs?: number;
  /** This controller, as its Events name it (reportingInstance). */
  identity?: string;
  /**
   * How the controller reaches the servers: `pod` dials the pods' addresses (in the cluster),
   * `port-forward` goes through the API server (from outside: a laptop, CI).
   */
  reach: 'pod' | 'port-forward';
  /** Asks a server whether it serves clients: ensureMembers is done only when all do. */
  prober: MemberProber;
  /**
   * Read the objects dbops made from informers (cache.ts) and skip applies of unchanged
   * intents, so that a steady-state reconcile makes no API request (default: off, every
   * read a request; the controller turns it on).
   */
  cache?: boolean;
  /** Checks configurations with scratch servers beside the controller (validateConfig). */
  validator?: Pick<Runtime, 'validateConfig' | 'close'>;
}

export class KubeRuntime implements Runtime {
  readonly kind = 'kubernetes' as const;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly storage: StorageV1Api;
  private readonly applier: Applier;
  private readonly ns: string;
  private readonly forwards: PortForwards | undefined;
  private readonly cache: KubeCache | undefined;
  private readonly secrets: SecretStore;

  constructor(private readonly o: KubeRuntimeOptions) {
    const apis = kubeApis(o.config);
    this.core = apis.core;
    this.apps = apis.apps;
    this.storage = apis.storage;
    this.ns = o.namespace;
    this.cache = o.cache
      ? new KubeCache({
          config: o.config,
          apis,
          namespace: o.namespace,
          clock: o.clock,
          log: o.log,
        })
      : undefined;
    const cache = this.cache;
    this.applier = new Applier(o.config, {
      now: () => o.clock.now(),
      ...(cache ? { cached: (kind, name) => cache.get<KubeObject>(kind as CachedKind, name) } : {}),
    });
    this.forwards = o.reach === 'port-forward' ? new PortForwards(o.config, o.log) : undefined;
    this.secrets = kubeSecrets({
      core: this.core,
      namespace: this.ns,
      cached: async (name) => (await this.warm())?.get<V1Secret>('Secret', name),
      owner: (spec) => this.applier.root(spec, this.ns),
    });
  }

  /**
   * True when the server of `pod` serves clients where the controller reaches it: a pod
   * Ready says only that its readiness probe passed once, and the controller's path to it
   * (a port-forward) may not work yet.
   */
  private async answers(spec: DatabaseSpec, pod: V1Pod | undefined, password?: string) {
    if (!pod?.status?.podIP) return false;
    const port = serverPort(spec);
    const secret = password ?? (await this.credentials(spec.name))?.password ?? '';
    return this.o.prober.ready(spec.kind, await this.reachOf(pod, port), secret);
  }

  /** Where the controller reaches `port` of `pod` (its address, or a local port-forward). */
  private async reachOf(pod: V1Pod | undefined, port: number): Promise<Endpoint> {
    const ip = pod?.status?.podIP;
    if (!pod || !ip) return { host: '', port };
    return this.forwards
      ? this.forwards.endpoint(this.ns, pod.metadata!.name!, port)
      : { host: ip, port };
  }

  /**
   * Records a Kubernetes Event on the object dbops changed, for `kubectl describe` and
   * `kubectl get events`. Best effort: an Event that cannot be written is logged, never a
   * reason to fail the change it describes.
   */
  private async event(
    target: { kind: string; name: string; apiVersion: string; uid?: string },
    reason: string,
    message: string,
    type: 'Normal' | 'Warning' = 'Normal',
  ): Promise<void> {
    const now = new Date(this.o.clock.now());
    try {
      await this.core.createNamespacedEvent({
        namespace: this.ns,
        body: {
          metadata: {
            name: `${target.name}.${randomBytes(8).toString('hex')}`,
            namespace: this.ns,
          },
          involvedObject: { ...target, namespace: this.ns },
          reason,
          message,
          type,
          source: { component: 'dbops' },
          reportingComponent: 'dbops',
          reportingInstance: this.o.identity ?? 'dbops',
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.o.log.warn(
        { err: String(err), reason, object: target.name },
        'could not record an Event',
      );
    }
  }

  /** The warm cache, or undefined when the runtime reads every object from the API. */
  private async warm(): Promise<KubeCache | undefined> {
    await this.cache?.start();
    return this.cache;
  }

  private async spec(database: string): Promise<DatabaseSpec | undefined> {
    try {
      const name = names(database).root;
      const cm =
        (await this.warm())?.get<V1ConfigMap>('ConfigMap', name) ??
        (await this.core.readNamespacedConfigMap({ name, namespace: this.ns }));
      const text = cm.data?.['spec.json'];
      return text ? (JSON.parse(text) as DatabaseSpec) : undefined;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * The objects of `kind` that carry all of `labels`: from the cache when it is in sync,
   * else one list call with that label selector.
   */
  private async listed<T extends KubernetesObject>(
    kind: CachedKind,
    labels: Record<string, string>,
    fetch: (q: { namespace: string; labelSelector: string }) => Promise<{ items: T[] }>,
  ): Promise<T[]> {
    const want = Object.entries(labels);
    const cached = (await this.warm())
      ?.list<T>(kind)
      ?.filter((o) => want.every(([k, v]) => o.metadata?.labels?.[k] === v));
    return cached ?? (await fetch({ namespace: this.ns, labelSelector: selector(labels) })).items;
  }

  async list(): Promise<string[]> {
    const roots = await this.listed<V1ConfigMap>('ConfigMap', managedLabels, (q) =>
      this.core.listNamespacedConfigMap(q),
    );
    return roots
      .map((c) => c.metadata?.labels?.['app.kubernetes.io/instance'] ?? '')
      .filter((db) => db && names(db).root === `${db}-dbops`)
      .sort();
  }

  private async pods(spec: DatabaseSpec): Promise<Map<string, V1Pod>> {
    const items = await this.listed<V1Pod>('Pod', selectorOf(spec), (q) =>
      this.core.listNamespacedPod(q),
    );
    return new Map(items.map((p) => [p.metadata?.name ?? '', p]));
  }

  private async claims(spec: DatabaseSpec): Promise<Map<string, V1PersistentVolumeClaim>> {
    const labels = { ...managedLabels, 'app.kubernetes.io/instance': spec.name };
    const items = await this.listed<V1PersistentVolumeClaim>('PersistentVolumeClaim', labels, (q) =>
      this.core.listNamespacedPersistentVolumeClaim(q),
    );
    return new Map(items.map((c) => [c.metadata?.name ?? '', c]));
  }

  private volumeOf(claim: V1PersistentVolumeClaim | undefined, spec: DatabaseSpec): VolumeStatus {
    const size = bytesOf(claim?.status?.capacity?.storage) || spec.storageBytes;
    // Bytes used come from kubelet statistics, which this version does not read yet.
    return { type: 'pvc', capacityBytes: size, usedBytes: 0, sizeBytes: size };
  }

  async observe(database: string): Promise<ObservedDatabase | undefined> {
    const spec = await this.spec(database);
    if (!spec) return undefined;
    const [pods, claims] = await Promise.all([this.pods(spec), this.claims(spec)]);
    const port = serverPort(spec);
    const members: ObservedMember[] = [];
    for (const m of topology(spec)) {
      const pod = pods.get(m.name);
      const live = pod && !pod.metadata?.deletionTimestamp ? pod : undefined;
      const container = live?.status?.containerStatuses?.[0];
      const ip = live?.status?.podIP;
      members.push({
        name: m.name,
        shard: m.shard,
        ordinal: m.ordinal,
        role: m.role,
        endpoint: await this.reachOf(live, port),
        ...(ip ? { peer: { host: ip, port } } : {}),
        // The kubelet's readiness probe (objects.ts) asks the server itself.
        running: podReady(live),
        ...(live?.metadata?.uid ? { instance: live.metadata.uid } : {}),
        restarts: container?.restartCount ?? 0,
        ...(container?.image ? { version: container.image.split(':').pop()! } : {}),
        volume: this.volumeOf(claims.get(`data-${m.name}`), spec),
      });
    }
    return {
      name: database,
      kind: spec.kind,
      halted: spec.halted,
      members,
      lastSpec: spec,
      notes: [],
    };
  }

  async volumeUsage(database: string): Promise<{ member: string; volume: VolumeStatus }[]> {
    const o = await this.observe(database);
    return o ? o.members.map((m) => ({ member: m.name, volume: m.volume })) : [];
  }

  async credentials(database: string): Promise<Credentials | undefined> {
    const spec = await this.spec(database);
    const data = await this.secrets.read(spec?.authSecretName ?? names(database).auth);
    return data?.password ? { username: data.username ?? '', password: data.password } : undefined;
  }

  /** The root first (its uid owns the rest), then the credentials, created once. */
  async ensureCredentials(spec: DatabaseSpec): Promise<Credentials> {
    await this.applier.root(spec, this.ns);
    return this.credentialsOf(spec);
  }

  /**
   * The credentials from the Secret spec.authSecret.name names (else `<db>-auth`), created
   * once under the root when missing; one without a password is a waiting condition.
   */
  private credentialsOf(spec: DatabaseSpec): Promise<Credentials> {
    const name = spec.authSecretName ?? names(spec.name).auth;
    return credentialsFromSecret(this.secrets, spec, name, () => generateCredentials(spec.kind));
  }

  /**
   * Applies every object of `spec`; returns its credentials. Claim templates never shrink
   * (they are immutable, and a volume cannot shrink): a spec asking less than was applied
   * keeps the size applied before.
   */
  private async apply(asked: DatabaseSpec): Promise<Credentials> {
    const prior = await this.spec(asked.name);
    const spec =
      prior && prior.storageBytes > asked.storageBytes
        ? { ...asked, storageBytes: prior.storageBytes }
        : asked;
    // The root once: it records the spec, and its uid owns the rest.
    const owner = await this.applier.root(spec, this.ns);
    const creds = await this.credentialsOf(spec);
    const image = this.o.image?.(spec) ?? defaultImage(spec);
    const { password } = creds;
    // The configuration Secret's settings go into dbops' own config Secret, never the root.
    const layered = layeredConfig(spec, await configFromSecret(this.secrets, spec));
    const objects = databaseObjects({ spec: layered, namespace: this.ns, owner, password, image });
    for (const obj of objects) {
      await this.applier.apply(obj);
    }
    return creds;
  }

  /**
   * Applies the objects; waiting until every planned pod is Ready and its server answers the
   * controller where it reaches it (halted: scaled to zero).
   */
  async ensureMembers(spec: DatabaseSpec, members: MemberPlan[]): Promise<Progress> {
    const { password } = await this.apply(spec);
    if (spec.halted) return finished();
    const pods = await this.pods(spec);
    const notReady = members.map((m) => m.name).filter((n) => !podReady(pods.get(n)));
    if (notReady.length) return waiting(`pods not Ready yet: ${notReady.join(', ')}`);
    const silent: string[] = [];
    for (const m of members) {
      if (!(await this.answers(spec, pods.get(m.name), password))) silent.push(m.name);
    }
    return silent.length
      ? waiting(`pods Ready, servers not answering yet: ${silent.join(', ')}`, 500)
      : finished();
  }

  /** Deletes the member's pod; returns once its replacement (a new instance) is Ready. */
  async restartMember(database: string, member: string, signal?: AbortSignal): Promise<void> {
    const spec = await this.spec(database);
    const before = spec && (await this.observe(database))?.members.find((m) => m.name === member);
    if (!spec || !before) {
      throw stalled(codes.notFound, `database ${database} has no member ${member}`);
    }
    if (before.instance) {
      await this.core.deleteNamespacedPod({ name: member, namespace: this.ns }).catch(unlessGone);
      const pod = { kind: 'Pod', apiVersion: 'v1', name: member, uid: before.instance };
      await this.event(pod, 'Restarting', `dbops deleted ${member} to restart it`);
    }
    await waitFor(
      this.o.clock,
      `${member} to come back Ready`,
      async () => {
        const pod = (await this.pods(spec)).get(member);
        const back =
          podReady(pod) &&
          !pod?.metadata?.deletionTimestamp &&
          pod?.metadata?.uid !== before.instance;
        return back && (await this.answers(spec, pod)) ? true : undefined;
      },
      { timeoutMs: this.o.waitMs ?? 300_000, intervalMs: 500, ...(signal ? { signal } : {}) },
    );
  }

  /**
   * Checks a configuration with a scratch server where the controller runs (the validator:
   * the local runtime's scratch redis-server or `postgres -C`, with the controller's own
   * binaries of the same major version), never in a database pod: nothing in the cluster is
   * touched. Without a validator, refused by name.
   */
  validateConfig(spec: DatabaseSpec): Promise<{ settings: Record<string, string> }> {
    if (!this.o.validator) {
      return Promise.resolve(unsupported('checking a configuration (validateConfig)'));
    }
    return this.validateLayered(this.o.validator, spec);
  }

  /** The validator checks the layered settings (it has no access to the cluster's Secrets). */
  private async validateLayered(
    validator: Pick<Runtime, 'validateConfig'>,
    spec: DatabaseSpec,
  ): Promise<{ settings: Record<string, string> }> {
    const fromSecret = await configFromSecret(this.secrets, spec);
    const { configSecretName: _, ...plain } = layeredConfig(spec, fromSecret);
    try {
      return await validator.validateConfig(plain);
    } catch (err) {
      throw withoutSecretValues(err, spec, fromSecret);
    }
  }

  async writeConfig(spec: DatabaseSpec): Promise<void> {
    await this.apply(spec);
  }

  /**
   * Online: patches the member's PVC (a StorageClass without `allowVolumeExpansion` is
   * refused early, by name) and waits for the resized capacity. Offline: the same, then the
   * pod is deleted once (recorded on the PVC, so a crash does not delete it twice) and the
   * call waits for its replacement to be Ready on the grown volume. Never shrinks.
   */
  async expandVolume(
    database: string,
    member: string,
    bytes: number,
    mode: ExpansionMode,
  ): Promise<Progress<VolumeStatus>> {
    const spec = await this.spec(database);
    if (!spec || !topology(spec).some((m) => m.name === member)) {
      throw stalled(codes.notFound, `database ${database} has no member ${member}`);
    }
    const name = `data-${member}`;
    let claim: V1PersistentVolumeClaim;
    try {
      claim = await this.core.readNamespacedPersistentVolumeClaim({ name, namespace: this.ns });
    } catch (err) {
      if (notFound(err)) return waiting(`${name} does not exist yet`);
      throw err;
    }
    const volume = this.volumeOf(claim, spec);
    if (volume.capacityBytes < bytes) {
      const pvc = {
        kind: 'PersistentVolumeClaim',
        apiVersion: 'v1',
        name,
        ...(claim.metadata?.uid ? { uid: claim.metadata.uid } : {}),
      };
      try {
        await this.assertExpandable(claim);
      } catch (err) {
        await this.event(pvc, 'VolumeExpansionRefused', (err as Error).message, 'Warning');
        throw err;
      }
      if (bytesOf(claim.spec?.resources?.requests?.storage) < bytes) {
        const body = { spec: { resources: { requests: { storage: String(bytes) } } } };
        await this.core.patchNamespacedPersistentVolumeClaim(
          { name, namespace: this.ns, body },
          merge,
        );
        await this.event(
          pvc,
          'VolumeExpansion',
          `dbops asked ${bytes} bytes for ${name} (${mode})`,
        );
      }
      return waiting(`${name} resizing to ${bytes} bytes`);
    }
    if (mode === 'Online') return finished(volume);
    const mark = 'dbops.dev/offline-restart-for';
    if (claim.metadata?.annotations?.[mark] !== String(bytes)) {
      const body = { metadata: { annotations: { [mark]: String(bytes) } } };
      await this.core.patchNamespacedPersistentVolumeClaim(
        { name, namespace: this.ns, body },
        merge,
      );
      await this.core.deleteNamespacedPod({ name: member, namespace: this.ns }).catch(unlessGone);
      return waiting(`${member} restarting on its grown volume`);
    }
    const pod = await this.core
      .readNamespacedPod({ name: member, namespace: this.ns })
      .catch(() => undefined);
    return podReady(pod) && !pod?.metadata?.deletionTimestamp && (await this.answers(spec, pod))
      ? finished(volume)
      : waiting(`${member} coming back`);
  }

  private async assertExpandable(claim: V1PersistentVolumeClaim): Promise<void> {
    const sc = claim.spec?.storageClassName;
    if (!sc) unsupportedExpansion(claim, 'it has no StorageClass');
    const cls = await this.storage.readStorageClass({ name: sc });
    if (!cls.allowVolumeExpansion) {
      unsupportedExpansion(claim, `StorageClass ${sc} does not set allowVolumeExpansion: true`);
    }
  }

  /**
   * Claim templates cannot change in place: the StatefulSets are deleted leaving their pods
   * (orphan) and applied again with the new size, adopting the running pods.
   */
  async finishVolumeExpansion(database: string, bytes: number): Promise<Progress> {
    const spec = await this.spec(database);
    if (!spec) throw stalled(codes.notFound, `no database named ${database}`);
    const grown = { ...spec, storageBytes: Math.max(spec.storageBytes, bytes) };
    for (const name of statefulSetNames(spec)) {
      let sts: V1StatefulSet | undefined;
      try {
        sts = await this.apps.readNamespacedStatefulSet({ name, namespace: this.ns });
      } catch (err) {
        if (!notFound(err)) throw err;
      }
      const claimed = bytesOf(
        sts?.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage,
      );
      if (sts && claimed < grown.storageBytes) {
        if (!sts.metadata?.deletionTimestamp) {
          await this.apps.deleteNamespacedStatefulSet({
            name,
            namespace: this.ns,
            propagationPolicy: 'Orphan',
          });
          const set = {
            kind: 'StatefulSet',
            apiVersion: 'apps/v1',
            name,
            uid: sts.metadata?.uid ?? '',
          };
          const message = `dbops replaces ${name} with a ${grown.storageBytes}-byte claim template; its pods stay`;
          await this.event(set, 'ClaimTemplateReplaced', message);
        }
        return waiting(`${name} being replaced with its new claim template`, 500);
      }
    }
    await this.apply(grown);
    return finished();
  }

  /** Scales every StatefulSet to zero; the PVCs, Secrets and Services stay. */
  async halt(database: string): Promise<void> {
    const spec = await this.spec(database);
    if (!spec) return;
    await this.apply({ ...spec, halted: true });
    // Halted means stopped, as on the local runtime: the pods are going (terminating) or gone.
    await waitFor(
      this.o.clock,
      `the pods of ${database} to stop`,
      async () => {
        const pods = [...(await this.pods(spec)).values()];
        return pods.every((p) => p.metadata?.deletionTimestamp) ? true : undefined;
      },
      { timeoutMs: this.o.waitMs ?? 300_000, intervalMs: 200 },
    );
  }

  /**
   * Deletes the root in the foreground (the garbage collector deletes what it owns first, the
   * root last) and the PVCs; returns once the root is gone, so nothing of the database is
   * read back afterwards.
   */
  async wipe(database: string): Promise<void> {
    const spec = await this.spec(database);
    await this.halt(database);
    const root = names(database).root;
    await this.core
      .deleteNamespacedConfigMap({
        name: root,
        namespace: this.ns,
        propagationPolicy: 'Foreground',
      })
      .catch(unlessGone);
    await this.core.deleteCollectionNamespacedPersistentVolumeClaim({
      namespace: this.ns,
      labelSelector: `app.kubernetes.io/instance=${database},app.kubernetes.io/managed-by=dbops`,
    });
    await waitFor(
      this.o.clock,
      `${root} and what it owns to be deleted`,
      async () => {
        const gone = await this.core
          .readNamespacedConfigMap({ name: root, namespace: this.ns })
          .then(
            () => false,
            (err: unknown) => {
              if (notFound(err)) return true;
              throw err;
            },
          );
        const cached = this.cache?.get('ConfigMap', root);
        return gone && !cached ? true : undefined;
      },
      { timeoutMs: this.o.waitMs ?? 300_000, intervalMs: 200 },
    );
    for (const m of spec ? topology(spec) : []) await this.forwards?.forget(this.ns, m.name);
  }

  /**
   * The database's phase as a label of its root ConfigMap (`dbops.dev/phase`, so that
   * `kubectl get configmap -l app.kubernetes.io/managed-by=dbops -L dbops.dev/phase` lists
   * them and `-l dbops.dev/phase=Failed` finds the failing ones) and the Ready message as an
   * annotation (`dbops.dev/status`, for `kubectl describe`). Under a field manager of its
   * own, so the root's apply never takes them away; no request when they are already so.
   */
  async publishStatus(database: string, status: PublishedStatus): Promise<void> {
    const name = names(database).root;
    const cm =
      (await this.warm())?.get<V1ConfigMap>('ConfigMap', name) ??
      (await this.core
        .readNamespacedConfigMap({ name, namespace: this.ns })
        .catch(() => undefined));
    if (!cm) return;
    const message = status.message.slice(0, 1024);
    if (
      cm.metadata?.labels?.[phaseLabel] === status.phase &&
      cm.metadata.annotations?.[statusAnnotation] === message
    ) {
      return;
    }
    const body = {
      metadata: {
        labels: { [phaseLabel]: status.phase },
        annotations: { [statusAnnotation]: message },
      },
    };
    await this.core.patchNamespacedConfigMap(
      { name, namespace: this.ns, body, fieldManager: 'dbops-status' },
      merge,
    );
  }

  subscribe(_listener: (event: RuntimeEvent) => void): () => void {
    // Pod watches come with the informers; until then the controller's poll sees changes.
    return () => undefined;
  }

  async close(): Promise<void> {
    await this.forwards?.close();
    await this.cache?.stop();
    await this.o.validator?.close({ stopMembers: true });
  }
}

function unsupportedExpansion(claim: V1PersistentVolumeClaim, why: string): never {
  throw stalled(codes.unsupported, `cannot grow ${claim.metadata?.name}: ${why}`, {
    hint: 'use a StorageClass with allowVolumeExpansion: true, or move the data to one',
  });
}
