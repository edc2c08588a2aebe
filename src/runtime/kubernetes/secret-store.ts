import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { DatabaseSpec } from '../../api/desired.js';
import { codes, waiting } from '../../errors.js';
import { secretRetryMs, type SecretData, type SecretStore } from '../secrets.js';
import { apiStatus } from './kube-config.js';
import { authSecret, type OwnerReference } from './objects.js';

/** What the Kubernetes SecretStore needs of the runtime. */
export interface KubeSecretsDeps {
  core: CoreV1Api;
  namespace: string;
  /** A Secret from the informers' cache, when it holds it (dbops' own Secrets). */
  cached(name: string): Promise<V1Secret | undefined>;
  /** The database's root object (applied once), which owns the Secrets dbops creates. */
  owner(spec: DatabaseSpec): Promise<OwnerReference>;
}

/** A Secret's data as text; pure. */
export function secretData(s: V1Secret): SecretData {
  const out: SecretData = {};
  for (const [k, v] of Object.entries(s.data ?? {}))
    out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

/** The Secrets of the namespace, as the SecretStore that manifests' Secrets are read from. */
export function kubeSecrets(deps: KubeSecretsDeps): SecretStore {
  const ns = deps.namespace;
  const read = async (name: string): Promise<SecretData | undefined> => {
    try {
      const s =
        (await deps.cached(name)) ??
        (await deps.core.readNamespacedSecret({ name, namespace: ns }));
      return secretData(s);
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      const status = apiStatus(err);
      throw waiting(
        codes.secretInvalid,
        `Secret ${name} in namespace ${ns} cannot be read${status ? ` (HTTP ${status})` : ''}`,
        secretRetryMs,
        { hint: "give dbops' service account get on secrets in the namespace (deploy/)" },
      );
    }
  };
  return {
    where: `namespace ${ns}`,
    howToCreate: (name, keys) =>
      `kubectl -n ${ns} create secret generic ${name} ${keys.map((k) => `--from-file=${k}=<file>`).join(' ')}`,
    read,
    async create(name, data, spec) {
      const owner = await deps.owner(spec);
      try {
        await deps.core.createNamespacedSecret({
          namespace: ns,
          body: authSecret(spec, ns, owner, data, name),
        });
        return data;
      } catch (err) {
        // Created meanwhile (by its owner, or a crashed earlier call): that one stands.
        if (apiStatus(err) === 409) return (await read(name)) ?? data;
        throw err;
      }
    },
  };
}
