/**
 * How dbops finds the Kubernetes API server: a kubeconfig file and context given on the command
 * line (`--kubeconfig`, `--context`), else the in-cluster service account when it runs in a
 * pod, else the usual kubeconfig (KUBECONFIG or ~/.kube/config). Only src/runtime/kubernetes/
 * imports @kubernetes/client-node.
 */
import { existsSync } from 'node:fs';
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PolicyV1Api,
  StorageV1Api,
} from '@kubernetes/client-node';
import { codes, stalled } from '../../errors.js';

/** The flags `dbops run --runtime kubernetes` and the read-only commands share. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  /**
   * How the controller reaches the database servers: `pod` (their addresses: in the cluster)
   * or `port-forward` (through the API server). Default: `pod` in a pod, else `port-forward`.
   */
  reach?: 'pod' | 'port-forward';
}

/** Where a pod's service account token is mounted. */
const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Loads the client configuration for `target`. A missing kubeconfig file, a context it does
 * not have, or no configuration at all is a config DbopsError saying what to pass. Pure of
 * network: nothing is asked of the server here.
 */
export function loadKubeConfig(
  target: KubeTarget,
  env: NodeJS.ProcessEnv = process.env,
): {
  config: KubeConfig;
  namespace: string;
  source: string;
  reach: 'pod' | 'port-forward';
} {
  const config = new KubeConfig();
  let source: string;
  let inCluster = false;
  if (target.kubeconfig) {
    if (!existsSync(target.kubeconfig)) {
      throw stalled(codes.config, `kubeconfig ${target.kubeconfig} does not exist`, {
        hint: 'pass --kubeconfig FILE with a readable kubeconfig, or run dbops in a pod',
      });
    }
    config.loadFromFile(target.kubeconfig);
    source = target.kubeconfig;
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(`${serviceAccountDir}/token`)) {
    config.loadFromCluster();
    source = 'the in-cluster service account';
    inCluster = true;
  } else {
    config.loadFromDefault();
    source = env.KUBECONFIG ?? '~/.kube/config';
    if (!config.getCurrentCluster()) {
      throw stalled(codes.config, 'no Kubernetes cluster is configured', {
        hint: 'pass --kubeconfig FILE (and --context NAME), set KUBECONFIG, or run dbops in a pod',
      });
    }
  }
  if (target.context) {
    const names = config.getContexts().map((c) => c.name);
    if (!names.includes(target.context)) {
      throw stalled(codes.config, `kubeconfig ${source} has no context '${target.context}'`, {
        hint: names.length
          ? `contexts there: ${names.join(', ')}`
          : 'the kubeconfig defines no contexts',
      });
    }
    config.setCurrentContext(target.context);
  }
  const fromContext = config.getContextObject(config.getCurrentContext())?.namespace;
  return {
    config,
    namespace: target.namespace ?? fromContext ?? 'default',
    source,
    reach: target.reach ?? (inCluster ? 'pod' : 'port-forward'),
  };
}

/** The API groups the Kubernetes runtime uses, on one configuration. */
export function kubeApis(config: KubeConfig) {
  return {
    core: config.makeApiClient(CoreV1Api),
    apps: config.makeApiClient(AppsV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
    storage: config.makeApiClient(StorageV1Api),
    policy: config.makeApiClient(PolicyV1Api),
  };
}

/** The HTTP status of a failed API call (404, 409, ...), or undefined for any other error. */
export const apiStatus = (err: unknown) => (err instanceof ApiException ? err.code : undefined);
