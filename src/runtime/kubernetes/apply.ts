import { KubernetesObjectApi, PatchStrategy, type KubeConfig } from '@kubernetes/client-node';
import type { DatabaseSpec } from '../../api/desired.js';
import {
  fieldManager,
  ownedBy,
  rootObject,
  type KubeObject,
  type OwnerReference,
} from './objects.js';

/** Server-side apply of whole objects, under dbops' own field manager. */
export class Applier {
  private readonly api: KubernetesObjectApi;
  constructor(config: KubeConfig) {
    this.api = KubernetesObjectApi.makeApiClient(config);
  }

  /**
   * Applies `obj` as dbops' intent: the fields dbops sets are dbops' (forced: another
   * manager's value of one of them is taken over), every other field is left to its owner.
   * No resourceVersion is sent, so there is no stale-write conflict to retry.
   */
  async apply(obj: KubeObject): Promise<KubeObject> {
    return this.api.patch<KubeObject>(
      obj,
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  /** Applies the root object of `spec` and returns the owner reference to it. */
  async root(spec: DatabaseSpec, namespace: string): Promise<OwnerReference> {
    const applied = await this.apply(rootObject(spec, namespace));
    const uid = (applied.metadata as { uid?: string }).uid;
    if (!uid) throw new Error(`the API server gave ${applied.metadata.name} no uid`);
    return ownedBy(spec, uid);
  }
}
