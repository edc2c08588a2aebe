import { createHash } from 'node:crypto';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { DatabaseSpec } from '../../api/desired.js';
import {
  fieldManager,
  ownedBy,
  rootObject,
  type KubeObject,
  type OwnerReference,
} from './objects.js';

/** The annotation that records the hash of what dbops last applied to an object. */
export const appliedHash = 'dbops.dev/applied-hash';

/** A short hash of an object's intent (its JSON); equal intents hash equal. Pure. */
export function intentHash(obj: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex').slice(0, 16);
}

export interface ApplierOptions {
  /** The object as the cache has it, or undefined (no cache, not cached, not in sync). */
  cached?: (kind: string, name: string) => KubeObject | undefined;
  now?: () => number;
  /**
   * How long an apply skipped for an unchanged intent may go without a real one (default
   * 10 min): what dbops owns is applied again at least that often, so that an edit made
   * behind its back (which does not change the recorded hash) is put right.
   */
  resyncMs?: number;
}

/**
 * Server-side apply of whole objects, under dbops' own field manager. With a cache, an object
 * whose cached copy carries the hash of the same intent (and that this applier applied within
 * the resync period) is not sent again: a steady state makes no API request.
 */
export class Applier {
  private readonly api: KubernetesObjectApi;
  private readonly appliedAt = new Map<string, number>();
  constructor(
    config: KubeConfig,
    private readonly o: ApplierOptions = {},
  ) {
    this.api = KubernetesObjectApi.makeApiClient(config);
  }

  /**
   * Applies `obj` as dbops' intent: the fields dbops sets are dbops' (forced: another
   * manager's value of one of them is taken over), every other field is left to its owner.
   * No resourceVersion is sent, so there is no stale-write conflict to retry.
   */
  async apply(obj: KubeObject): Promise<KubeObject> {
    const hash = intentHash(obj);
    const key = `${obj.kind}/${obj.metadata.namespace}/${obj.metadata.name}`;
    const now = this.o.now?.() ?? Date.now();
    const cached = this.o.cached?.(obj.kind, obj.metadata.name);
    const recent = now - (this.appliedAt.get(key) ?? -Infinity) < (this.o.resyncMs ?? 600_000);
    if (cached && recent && cached.metadata.annotations?.[appliedHash] === hash) return cached;
    const annotations = { ...obj.metadata.annotations, [appliedHash]: hash };
    const applied = await this.api.patch<KubeObject>(
      { ...obj, metadata: { ...obj.metadata, annotations } },
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
    this.appliedAt.set(key, now);
    return applied;
  }

  /** Applies the root object of `spec` and returns the owner reference to it. */
  async root(spec: DatabaseSpec, namespace: string): Promise<OwnerReference> {
    const applied = await this.apply(rootObject(spec, namespace));
    const uid = (applied.metadata as { uid?: string }).uid;
    if (!uid) throw new Error(`the API server gave ${applied.metadata.name} no uid`);
    return ownedBy(spec, uid);
  }
}
