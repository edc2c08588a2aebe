import { builtInPolicyFiles } from './policy/built-in.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { observePostgres } from './db/postgres/observe.js';
import { runInitScripts, transactionOutcome } from './db/postgres/init.js';
import { readPostgresSettings, reloadPostgres } from './db/postgres/settings.js';
import { postgresReady } from './db/postgres/ready.js';
import { postgresDataBytes } from './db/postgres/size.js';
import { ensureCluster } from './db/redis/cluster.js';
import { failoverShard } from './db/redis/failover.js';
import { observeRedis } from './db/redis/observe.js';
import { redisReady } from './db/redis/connection.js';
import {
  applyRedisSettings,
  readAllRedisSettings,
  readRedisSettings,
} from './db/redis/settings.js';
import { redisDataBytes } from './db/redis/size.js';
import type { StatusDocument } from './api/status.js';
import { StorageAutoscaler } from './autoscale/autoscaler.js';
import type { DataBytes } from './autoscale/data-sample.js';
import type { OpsClients } from './execute/context.js';
import { crashHookFromEnv } from './execute/crash-hook.js';
import { createPromMetrics, type PromMetrics } from './http/metrics.js';
import { systemClock, type Clock } from './platform/clock.js';
import { ensureStateDir } from './platform/state-dir.js';
import type { Logger } from './platform/logger.js';
import { Controller } from './reconcile/controller.js';
import type { DatabaseClients } from './reconcile/clients.js';
import {
  fileLeaderLock,
  fileStateStore,
  type LeaderLock,
  type StateStore,
} from './reconcile/persistence.js';
import { kubeApis, loadKubeConfig, type KubeTarget } from './runtime/kubernetes/kube-config.js';
import { KubeRuntime } from './runtime/kubernetes/kube-runtime.js';
import { leaseLock } from './runtime/kubernetes/lease-lock.js';
import { configMapStateStore } from './runtime/kubernetes/state-store.js';
import { createLocalRuntime } from './runtime/local/local-runtime.js';
import { secretsDir } from './runtime/local/secrets-dir.js';
import type { MemberProber } from './runtime/member-prober.js';
import type { Runtime } from './runtime/runtime.js';
import { authFromEnv } from './source/auth.js';
import { appendNote } from './source/git-notes.js';
import { createGitSource } from './source/git-source.js';
import { createSource, repoKind } from './source/local-source.js';
import { loadSigningKey } from './source/signing.js';
import type { Source } from './source/source.js';
import { loadTrustedKeys } from './source/trust-keys.js';
import { createVerifiedSource, type HistorySource } from './source/verified-source.js';
import { codes, stalled } from './errors.js';

/** Everything `dbops run` needs, as validated by the CLI. */
export interface RunConfig {
  repo: string;
  branch?: string;
  path?: string;
  stateDir: string;
  intervalMs: number;
  /** Where the databases run; Kubernetes also keeps the state and the leader Lease there. */
  runtime: 'local' | 'kubernetes';
  /** The cluster, for `runtime: 'kubernetes'` (--kubeconfig, --context, --namespace). */
  kube?: KubeTarget;
  credentialsFile?: string;
  /** Timeout of each request to the Git remote. */
  gitTimeoutMs?: number;
  /** Volume kind of new members: loop-mounted filesystem images where possible, or directories. */
  volumes?: 'auto' | 'loop' | 'directory';
  /** Local runtime: the Secrets manifests name (default `<stateDir>/secrets`). */
  secretsDir?: string;
  /** Redis cluster-node-timeout for local members (tests use a short one). */
  redisClusterNodeTimeoutMs?: number;
  /** Armored OpenPGP private key that signs the autoscaler's commits (`--signing-key`). */
  signingKeyFile?: string;
  /** Trusted keys and their paths (`--trusted-keys`): only verified revisions are applied. */
  trustedKeysFile?: string;
  /** The storage autoscaler: it runs whenever the repository has autoscalers. */
  autoscale?: AutoscaleConfig;
}

/** Settings of the storage autoscaler (`dbops run --autoscale-*`, `--bot-author`). */
export interface AutoscaleConfig {
  /** How often volumes are sampled (default 5 s). */
  intervalMs: number;
  /** No new decision this long after an expansion of the database ended (default 60 s). */
  cooldownMs: number;
  /** Author and committer of the bot's commits. */
  author: { name: string; email: string };
  /** Review mode: push each decision to `<prefix>/<database>-<time>` instead of the branch. */
  branchPrefix?: string;
  /** Signs the bot's commits (an armored detached OpenPGP signature of the payload). */
  sign?: (payload: string) => Promise<string>;
}

/** The autoscaler defaults for `dbops run` and the demo. */
export const defaultAutoscale: AutoscaleConfig = {
  intervalMs: 5000,
  cooldownMs: 60_000,
  author: { name: 'dbops-autoscaler', email: 'dbops-autoscaler@localhost' },
};

/** A running controller with the parts that must be closed with it. */
export interface Assembly {
  controller: Controller;
  runtime: Runtime;
  autoscaler: StorageAutoscaler;
  /** The controller's metrics recorder and the /metrics body (prom-client, own registry). */
  metrics: PromMetrics;
  /** Runs the controller loop and the autoscaler loop until the signal aborts. */
  run(signal: AbortSignal): Promise<void>;
  close(opts: { stopMembers: boolean }): Promise<void>;
}

/** The real database clients (ioredis, pg) for reconciles and operations. */
export const databaseClients: DatabaseClients & OpsClients = {
  ensureCluster,
  observePostgres,
  runInitScripts,
  transactionOutcome,
  observeRedis,
  readRedisSettings,
  applyRedisSettings,
  failoverShard,
  readPostgresSettings,
  reloadPostgres,
};

/**
 * The real database-reported sizes for the autoscaler's status (pg for Postgres, ioredis for
 * Redis), each with a short timeout: the probe runs inside an autoscaler round.
 */
export const dataBytes: DataBytes = (kind, endpoint, credentials) =>
  kind === 'Redis'
    ? redisDataBytes({ ...endpoint, password: credentials.password, timeoutMs: 2000 })
    : postgresDataBytes({
        ...endpoint,
        user: credentials.username,
        password: credentials.password,
        timeoutMs: 2000,
      });

/**
 * The real prober of the members' servers: ioredis for Redis (PING, `CONFIG GET *`), the
 * first message of the Postgres protocol for Postgres, each with a short timeout.
 */
export const memberProber: MemberProber = {
  ready: (kind, endpoint, password) =>
    kind === 'Redis'
      ? redisReady({ ...endpoint, password, timeoutMs: 2000 })
      : postgresReady(endpoint.host, endpoint.port),
  redisSettings: (endpoint, password) =>
    readAllRedisSettings({ ...endpoint, password, timeoutMs: 5000 }),
};

/** Wraps `source` so that only revisions whose new commits are all trusted come through. */
async function verifying(source: Source, keysFile: string, lastApplied: () => string | undefined) {
  if (!('history' in source)) {
    throw stalled(codes.usage, '--trusted-keys needs a Git repository to read commits from', {
      hint: 'pass an http(s) URL or a local Git repository as --repo',
    });
  }
  const keys = await loadTrustedKeys(keysFile);
  return createVerifiedSource(source as HistorySource, { keys, lastApplied });
}

/** The autoscaler's commit signer from an armored private key file. */
async function signerOf(file: string, env: NodeJS.ProcessEnv, clock: Clock) {
  const signer = await loadSigningKey(file, { env, clock });
  return async (payload: string) =>
    (await signer.onSign({ payload, secretKey: signer.signingKey })).signature;
}

/**
 * Where a controller keeps its state and leadership, and what runs its databases: the state
 * dir's files and the local runtime, or a ConfigMap, a Lease and the Kubernetes runtime in the
 * namespace of --namespace (the kubeconfig's, else `default`).
 */
function placeOf(
  config: RunConfig,
  stateDir: string,
  log: Logger,
  clock: Clock,
  env: NodeJS.ProcessEnv,
): { leader: LeaderLock; store: StateStore; runtime: () => Promise<Runtime> } {
  const rlog = log.child({ component: 'runtime' });
  if (config.runtime === 'kubernetes') {
    const { config: kc, namespace, reach } = loadKubeConfig(config.kube ?? {}, env);
    const apis = kubeApis(kc);
    const identity = `${env.POD_NAME ?? hostname()}-${randomBytes(3).toString('hex')}`;
    return {
      leader: leaseLock({
        api: apis.coordination,
        namespace,
        name: 'dbops-controller',
        identity,
        clock,
        log: log.child({ component: 'leader' }),
      }),
      store: configMapStateStore({ api: apis.core, namespace }),
      runtime: async () =>
        new KubeRuntime({
          config: kc,
          namespace,
          clock,
          log: rlog,
          identity,
          reach,
          prober: memberProber,
          cache: true,
          // Configurations are checked with scratch servers beside the controller.
          validator: await createLocalRuntime({
            stateDir: join(stateDir, 'validate'),
            clock,
            log: rlog,
            prober: memberProber,
            redisClusterNodeTimeoutMs: config.redisClusterNodeTimeoutMs,
            volumes: 'directory',
          }),
        }),
    };
  }
  return {
    leader: fileLeaderLock(stateDir),
    store: fileStateStore(stateDir),
    runtime: () =>
      createLocalRuntime({
        stateDir,
        clock,
        log: rlog,
        prober: memberProber,
        redisClusterNodeTimeoutMs: config.redisClusterNodeTimeoutMs,
        ...(config.volumes ? { volumes: config.volumes } : {}),
        secrets: secretsDir(resolve(config.secretsDir ?? join(stateDir, 'secrets'))),
      }),
  };
}

/**
 * Composition root: builds the real clock, source, runtime and clients for a controller, and
 * takes its leadership (the state dir's lock, or the Lease).
 */
export async function assemble(
  config: RunConfig,
  log: Logger,
  env: NodeJS.ProcessEnv,
  clock: Clock = systemClock,
): Promise<Assembly> {
  const stateDir = resolve(config.stateDir);
  await ensureStateDir(stateDir);
  const place = placeOf(config, stateDir, log, clock, env);
  // Local: a lock file that another live controller holds is an error at once. Kubernetes:
  // a standby waits here until the Lease is free.
  const leadership = await place.leader.acquire();
  const unlock = () => leadership.release();
  const crashHook = crashHookFromEnv(env);
  try {
    const auth = await authFromEnv(env, { credentialsFile: config.credentialsFile });
    const common = {
      branch: config.branch,
      path: config.path,
      cacheDir: join(stateDir, 'cache'),
      auth,
      timeoutMs: config.gitTimeoutMs,
      clock,
      log: log.child({ component: 'source' }),
    };
    // An http(s) remote is a GitSource: it can also carry the audit notes.
    const git =
      repoKind(config.repo) === 'http'
        ? createGitSource({ ...common, url: config.repo })
        : undefined;
    const raw = git ?? createSource({ ...common, repo: config.repo });
    let applied: () => string | undefined = () => undefined;
    const source = config.trustedKeysFile
      ? await verifying(raw, config.trustedKeysFile, () => applied())
      : raw;
    const runtime = await place.runtime();
    // Operation results go to refs/notes/dbops on the remote (http sources only).
    const recordNote = git
      ? async (commit: string, text: string) => {
          const author = { name: 'dbops', email: 'dbops@localhost', timestamp: clock.now() };
          const r = await appendNote(git, { commit, text }, { author, clock });
          if (!r.ok) throw new Error(r.reason);
        }
      : undefined;
    // The status families read the controller's status, which exists once it is open.
    let statusOf: () => StatusDocument | undefined = () => undefined;
    const metrics = createPromMetrics({ status: () => statusOf() });
    const controller = await Controller.open({
      source,
      runtime,
      clients: databaseClients,
      clock,
      log: log.child({ component: 'controller' }),
      store: place.store,
      intervalMs: config.intervalMs,
      metrics,
      builtInPolicies: await builtInPolicyFiles(),
      ...(crashHook ? { crashHook } : {}),
      ...(recordNote ? { recordNote } : {}),
    });
    applied = () => controller.appliedRevision();
    statusOf = () => controller.status();
    const auto = config.autoscale ?? defaultAutoscale;
    const sign = config.signingKeyFile
      ? await signerOf(config.signingKeyFile, env, clock)
      : auto.sign;
    const autoscaler = new StorageAutoscaler({
      host: controller.autoscaleHost(),
      source,
      runtime,
      clock,
      random: Math.random,
      log: log.child({ component: 'autoscaler' }),
      author: auto.author,
      cooldownMs: auto.cooldownMs,
      dataBytes,
      ...(auto.branchPrefix ? { branchPrefix: auto.branchPrefix } : {}),
      ...(sign ? { sign } : {}),
      ...(crashHook ? { crashHook } : {}),
    });
    return {
      controller,
      runtime,
      autoscaler,
      metrics,
      async run(signal) {
        // A lost leadership stops this controller as a signal would: another one acts now.
        const stop = AbortSignal.any([signal, leadership.lost]);
        await Promise.all([controller.run(stop), autoscaler.run(auto.intervalMs, stop)]);
      },
      async close({ stopMembers }) {
        await controller.close();
        await runtime.close({ stopMembers });
        await source.close();
        await unlock();
      },
    };
  } catch (err) {
    await unlock();
    throw err;
  }
}
