/**
 * The controller's state in the cluster: one ConfigMap (`dbops-state` in the controller's
 * namespace) holding what `status.json` holds for the local runtime, gzip-compressed in
 * `binaryData`, so that a large state stays under the 1 MiB an object may hold (the test's
 * 1,000 databases: 1.4 MB of JSON, 43 KB stored; real states repeat themselves less). A restarted controller pod loads it and resumes every operation where its
 * last persisted step left it. Nothing secret is in it: credentials live in each database's
 * auth Secret.
 *
 * Writes carry the resourceVersion last read or written: a 409 means another controller wrote
 * meanwhile, which only happens when this one is no longer the leader, so it is an error, not
 * something to retry over.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import { codes, stalled } from '../../errors.js';
import type { StateStore } from '../../reconcile/persistence.js';
import { apiStatus } from './kube-config.js';
import { upgradeState, type ControllerState } from '../../reconcile/store.js';

const key = 'status.json.gz';

export function configMapStateStore(o: {
  api: CoreV1Api;
  namespace: string;
  name?: string;
}): StateStore {
  const name = o.name ?? 'dbops-state';
  const { api, namespace } = o;
  const location = `ConfigMap ${namespace}/${name}`;
  let resourceVersion: string | undefined;
  let chain: Promise<void> = Promise.resolve();

  const body = (json: string): V1ConfigMap => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'dbops', 'app.kubernetes.io/component': 'state' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    binaryData: { [key]: gzipSync(json).toString('base64') },
  });

  const write = async (json: string) => {
    try {
      const saved = resourceVersion
        ? await api.replaceNamespacedConfigMap({ name, namespace, body: body(json) })
        : await api.createNamespacedConfigMap({ namespace, body: body(json) });
      resourceVersion = saved.metadata?.resourceVersion;
    } catch (err) {
      if (apiStatus(err) === 409) {
        throw stalled(codes.stateLocked, `${location} was written by another controller`, {
          hint: 'only the leader writes the state; this controller is no longer it and stops',
        });
      }
      throw err;
    }
  };

  return {
    location,
    async load() {
      let cm: V1ConfigMap;
      try {
        cm = await api.readNamespacedConfigMap({ name, namespace });
      } catch (err) {
        if (apiStatus(err) === 404) return undefined;
        throw err;
      }
      resourceVersion = cm.metadata?.resourceVersion;
      const data = cm.binaryData?.[key];
      try {
        if (!data) throw new Error(`no ${key} in it`);
        const state = JSON.parse(
          gunzipSync(Buffer.from(data, 'base64')).toString('utf8'),
        ) as ControllerState;
        if (typeof state !== 'object' || state === null || typeof state.databases !== 'object') {
          throw new Error('it holds no controller state');
        }
        return upgradeState(state);
      } catch (err) {
        throw stalled(codes.stateCorrupt, `cannot read ${location}: ${(err as Error).message}`, {
          hint: 'it is written whole by the controller, so it was edited by hand: restore it or delete it (the controller rebuilds it; data is not affected)',
          cause: err,
        });
      }
    },
    save(state) {
      // The state as it is now (the caller goes on changing it), serialised once.
      const json = JSON.stringify(state);
      // Written in order, newest last; one failed write fails its own save, not the later ones.
      const next = chain.catch(() => undefined).then(() => write(json));
      chain = next;
      return next;
    },
  };
}
