/**
 * The runtime's view of the objects dbops made, kept by informers (list, then watch) so that
 * a steady-state reconcile reads from memory and makes no API request. One informer per kind,
 * in the runtime's namespace, for objects labelled `app.kubernetes.io/managed-by=dbops`.
 *
 * The informers of client-node relist by themselves after 410 Gone; after any other error
 * they stop, so they are started again here with backoff (1 s doubling to 30 s). A watch
 * that dies without an error is not noticed by them either: every informer relists every
 * `relistMs` (default 10 min) as a watchdog.
 *
 * A cache can lag behind a write that was just made: callers read from it only where a stale
 * answer costs a second look (a miss falls back to a GET), never where it would be acted on.
 */
import {
  makeInformer,
  type CoreV1Api,
  type AppsV1Api,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
  type PolicyV1Api,
} from '@kubernetes/client-node';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';

export const managedBy = 'app.kubernetes.io/managed-by=dbops';

export type CachedKind =
  | 'ConfigMap'
  | 'Secret'
  | 'Service'
  | 'StatefulSet'
  | 'Pod'
  | 'PersistentVolumeClaim'
  | 'PodDisruptionBudget';

interface Entry {
  informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>;
  synced: boolean;
  failures: number;
}

export interface CacheApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
}

/**
 * Drops in place what no reader of the cache uses: managedFields everywhere; the spec of
 * objects only ever compared by their applied-hash annotation (Services, StatefulSets,
 * disruption budgets); a pod's spec and most of its status. Readers that need more read the
 * object from the API.
 */
export function slim(kind: CachedKind, obj: KubernetesObject): void {
  const o = obj as KubernetesObject & { spec?: unknown; status?: Record<string, unknown> };
  if (o.metadata) delete o.metadata.managedFields;
  if (kind === 'Service' || kind === 'StatefulSet' || kind === 'PodDisruptionBudget') {
    delete o.spec;
    delete o.status;
  } else if (kind === 'Pod') {
    delete o.spec;
    const s = o.status;
    if (s) {
      const keep = ['phase', 'podIP', 'conditions', 'containerStatuses'];
      for (const k of Object.keys(s)) if (!keep.includes(k)) delete s[k];
    }
  }
}

export class KubeCache {
  private readonly entries = new Map<CachedKind, Entry>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private started: Promise<void> | undefined;

  constructor(
    private readonly o: {
      config: KubeConfig;
      apis: CacheApis;
      namespace: string;
      clock: Clock;
      log: Logger;
      relistMs?: number;
    },
  ) {}

  /** Starts every informer once; resolves when each has listed (the cache is warm). */
  start(): Promise<void> {
    this.started ??= this.startAll();
    return this.started;
  }

  private async startAll(): Promise<void> {
    const { core, apps, policy } = this.o.apis;
    const namespace = this.o.namespace;
    const q = { namespace, labelSelector: managedBy };
    const ns = `/namespaces/${namespace}`;
    const kinds: [CachedKind, string, () => Promise<{ items: KubernetesObject[] }>][] = [
      ['ConfigMap', `/api/v1${ns}/configmaps`, () => core.listNamespacedConfigMap(q)],
      ['Secret', `/api/v1${ns}/secrets`, () => core.listNamespacedSecret(q)],
      ['Service', `/api/v1${ns}/services`, () => core.listNamespacedService(q)],
      ['Pod', `/api/v1${ns}/pods`, () => core.listNamespacedPod(q)],
      [
        'PersistentVolumeClaim',
        `/api/v1${ns}/persistentvolumeclaims`,
        () => core.listNamespacedPersistentVolumeClaim(q),
      ],
      ['StatefulSet', `/apis/apps/v1${ns}/statefulsets`, () => apps.listNamespacedStatefulSet(q)],
      [
        'PodDisruptionBudget',
        `/apis/policy/v1${ns}/poddisruptionbudgets`,
        () => policy.listNamespacedPodDisruptionBudget(q),
      ],
    ];
    await Promise.all(kinds.map(([kind, path, list]) => this.run(kind, path, list)));
    const every = this.o.relistMs ?? 600_000;
    const relist = setInterval(() => {
      for (const [kind, e] of this.entries) void this.restart(kind, e, 0);
    }, every);
    relist.unref();
    this.timers.add(relist);
  }

  private async run(
    kind: CachedKind,
    path: string,
    list: () => Promise<{ items: KubernetesObject[] }>,
  ): Promise<void> {
    const informer = makeInformer<KubernetesObject>(this.o.config, path, list, managedBy);
    const entry: Entry = { informer, synced: false, failures: 0 };
    this.entries.set(kind, entry);
    // The cache keeps what the runtime reads of each object, not the whole object: a
    // thousand databases' pods and StatefulSets with their managedFields are hundreds of MiB.
    informer.on('add', (obj) => slim(kind, obj));
    informer.on('update', (obj) => slim(kind, obj));
    informer.on('error', (err: unknown) => {
      entry.synced = false;
      entry.failures++;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(entry.failures - 1, 5));
      this.o.log.warn({ kind, err: String(err), retryInMs: delay }, 'watch failed; restarting');
      void this.restart(kind, entry, delay);
    });
    informer.on('connect', () => {
      entry.failures = 0;
    });
    await informer.start();
    entry.synced = true;
  }

  private async restart(kind: CachedKind, entry: Entry, delayMs: number): Promise<void> {
    if (this.stopped) return;
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, delayMs);
        t.unref();
        this.timers.add(t);
      });
    }
    if (this.stopped) return;
    try {
      await entry.informer.stop();
      await entry.informer.start();
      entry.synced = true;
    } catch (err) {
      this.o.log.warn({ kind, err: String(err) }, 'relist failed');
    }
  }

  /** The cached object, or undefined (not there, or the informer is not in sync). */
  get<T extends KubernetesObject>(kind: CachedKind, name: string): T | undefined {
    const e = this.entries.get(kind);
    return e?.synced ? (e.informer.get(name, this.o.namespace) as T | undefined) : undefined;
  }

  /** Every cached object of `kind`; undefined when its informer is not in sync. */
  list<T extends KubernetesObject>(kind: CachedKind): readonly T[] | undefined {
    const e = this.entries.get(kind);
    return e?.synced ? (e.informer.list(this.o.namespace) as readonly T[]) : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const e of this.entries.values()) await e.informer.stop();
  }
}
