/**
 * Stand-ins for the containers of dbops' pods on the kwok node, which has no container runtime.
 *
 * For every pod of namespace `ns` that kwok reports Running, this starts the real server that
 * the pod's container would run: `redis-server` 7.0 or the machine's Postgres, bound to the
 * pod's own address (kwok gives pods loopback addresses, kube-control-plane.ts) and the port
 * the container declares, so that the pod's address answers as the pod would. It follows the
 * pod spec as a kubelet and the official images would:
 *
 * - the command and args of the container (`$(VAR)` expanded from its env), with the Secret
 *   volumes written out and the mount paths mapped to directories here;
 * - the `data` claim is a directory per PersistentVolumeClaim, kept while the claim exists,
 *   so a restarted or replaced pod finds its data as it would on its volume;
 * - Postgres as the official image starts it: initdb with the password from the env when the
 *   data directory is empty (SCRAM for every host, as its entrypoint writes), then the
 *   scripts of /docker-entrypoint-initdb.d are honoured for what dbops puts there (replication
 *   logins); the `clone` init container of a standby runs as pg_basebackup from the host it
 *   names, a pod DNS name resolved here to that pod's address (there is no cluster DNS);
 * - a PortForward object per pod (kwok.x-k8s.io) so that the API server's port-forward
 *   reaches the server.
 *
 * What differs from a node: the server binaries are this machine's whatever the image tag
 * says (redis-server 7.0.15, Postgres 15), and probes are not run (kwok reports pods Ready).
 * A pod deleted is its server stopped with the image's stop signal, as the kubelet does; a new
 * pod of the same name starts a new server on the same claim, and a server that exits is
 * started again (restartPolicy Always).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFile,
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  type V1Container,
  type V1Pod,
  type CoreV1Api,
} from '@kubernetes/client-node';
import { systemClock } from '../../src/platform/clock.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { findServers, serverBinary } from '../../src/runtime/local/binaries.js';
import {
  basebackupMember,
  initdbMember,
  writeOwned,
} from '../../src/runtime/local/postgres-setup.js';
import { serviceUser, stopProcess, type ServiceUser } from '../../src/runtime/local/proc.js';
import { pathExists } from '../../src/platform/files.js';

interface Running {
  uid: string;
  pod: string;
  child: ChildProcess;
  /** The image's STOPSIGNAL: SIGINT (fast shutdown) for postgres, SIGTERM for redis. */
  stopSignal: NodeJS.Signals;
}

export interface Containers {
  /** The server of `pod` has exited or was never started: its output, for a failure message. */
  logOf(pod: string): string;
  /** SIGKILLs the server of `pod`, as a node that dies takes its containers. */
  kill(pod: string): void;
  /** True while a server runs for the pod whose uid is `uid`. */
  runs(uid: string): boolean;
  stop(): Promise<void>;
}

const expand = (s: string, env: Record<string, string>) =>
  s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);

async function envOf(core: CoreV1Api, ns: string, pod: V1Pod, c: V1Container) {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expand(e.value, env);
    else if (e.valueFrom?.fieldRef?.fieldPath === 'status.podIP') env[e.name] = pod.status!.podIP!;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.name')
      env[e.name] = pod.metadata!.name!;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const s = await core.readNamespacedSecret({ name: ref.name!, namespace: ns });
      env[e.name] = Buffer.from(s.data?.[ref.key] ?? '', 'base64').toString();
    }
  }
  return env;
}

/**
 * Runs stand-ins for the containers of the pods of `ns` until stopped (see the top of the
 * file for what is real and what stands in).
 */
export async function runContainers(kubeconfig: string, ns: string): Promise<Containers> {
  const config = loadKubeConfig({ kubeconfig }).config;
  const { core } = kubeApis(config);
  const custom = config.makeApiClient(CustomObjectsApi);
  const root = await mkdtemp(join(tmpdir(), 'dbops-containers-'));
  // Postgres runs as an unprivileged user when we are root: it must reach its directories.
  await chmod(root, 0o755);
  const user = await serviceUser();
  const servers = await findServers();
  const redisBin = servers.find((s) => s.kind === 'redis');
  const pg = servers.find((s) => s.kind === 'postgres');
  const running = new Map<string, Running>();
  const logs = new Map<string, string[]>();
  let stopped = false;
  let busy = false;

  const volumeDir = async (pod: V1Pod, mount: string): Promise<string> => {
    const vol = pod.spec!.volumes?.find((v) => v.name === mount);
    const claim = vol?.persistentVolumeClaim?.claimName ?? `data-${pod.metadata!.name}`;
    const dir = join(root, 'claims', claim);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (user) await chown(dir, user.uid, user.gid);
    return dir;
  };

  /** Writes the Secret volumes of the pod and maps every mount path to a local directory. */
  const mountsOf = async (pod: V1Pod, c: V1Container, podDir: string) => {
    const map = new Map<string, string>();
    for (const m of c.volumeMounts ?? []) {
      const vol = pod.spec!.volumes?.find((v) => v.name === m.name);
      if (vol?.secret) {
        const dir = join(podDir, 'mounts', m.name);
        await mkdir(dir, { recursive: true, mode: 0o755 });
        const s = await core.readNamespacedSecret({ name: vol.secret.secretName!, namespace: ns });
        const items =
          vol.secret.items ?? Object.keys(s.data ?? {}).map((k) => ({ key: k, path: k }));
        for (const it of items) {
          const text = Buffer.from(s.data?.[it.key] ?? '', 'base64').toString();
          await writeOwned(join(dir, it.path), text, user, 0o640);
        }
        map.set(m.mountPath, dir);
      } else {
        map.set(m.mountPath, await volumeDir(pod, m.name));
      }
    }
    return map;
  };

  /** An argument with a mount path in it (`/data`, `include_if_exists=/etc/dbops/x`), mapped. */
  const local = (map: Map<string, string>, arg: string) => {
    const eq = arg.indexOf('=');
    const [head, path] =
      eq > 0 && !arg.startsWith('/') ? [arg.slice(0, eq + 1), arg.slice(eq + 1)] : ['', arg];
    for (const [mount, dir] of map) {
      if (path === mount) return head + dir;
      if (path.startsWith(`${mount}/`)) return head + join(dir, path.slice(mount.length + 1));
    }
    return arg;
  };

  /** `<pod>.<service>[.<ns>...]` to the pod's address: the cluster DNS this plane lacks. */
  const resolve = async (host: string) => {
    const podName = host.split('.')[0]!;
    const p = await core.readNamespacedPod({ name: podName, namespace: ns });
    if (!p.status?.podIP) throw new Error(`${host}: pod ${podName} has no address yet`);
    return p.status.podIP;
  };

  const portForward = async (pod: V1Pod, ports: number[]) => {
    const name = pod.metadata!.name!;
    const body = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'PortForward',
      metadata: { name, namespace: ns },
      spec: {
        forwards: ports.map((port) => ({
          ports: [port],
          target: { address: pod.status!.podIP!, port },
        })),
      },
    };
    const ref = {
      group: 'kwok.x-k8s.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'portforwards',
    };
    await custom.deleteNamespacedCustomObject({ ...ref, name }).catch(() => undefined);
    await custom.createNamespacedCustomObject({ ...ref, body });
  };

  const start = async (pod: V1Pod) => {
    const name = pod.metadata!.name!;
    const podIP = pod.status!.podIP!;
    const c = pod.spec!.containers[0]!;
    const podDir = join(root, 'pods', pod.metadata!.uid!);
    await mkdir(podDir, { recursive: true, mode: 0o755 });
    const env = await envOf(core, ns, pod, c);
    const mounts = await mountsOf(pod, c, podDir);
    const ports = (c.ports ?? []).map((p) => p.containerPort);
    let binary: string;
    let args: string[];
    let asUser: ServiceUser | undefined;
    if (c.command?.[0] === 'redis-server') {
      if (!redisBin) throw new Error('redis-server is not installed');
      binary = serverBinary(redisBin);
      // redis.conf names the container's paths (`dir /data`), which Redis enters as it reads
      // them: the stand-in reads a copy with the directory and bind address of its own.
      const [conf, ...rest] = (c.args ?? []).map((a) => expand(a, env));
      const text = await readFile(local(mounts, conf!), 'utf8');
      const mapped = join(podDir, 'redis.conf');
      await writeFile(
        mapped,
        text
          .replace(/^dir .*$/m, `dir ${local(mounts, '/data')}`)
          .replace(/^bind .*$/m, `bind ${podIP}`),
        { mode: 0o600 },
      );
      args = [mapped, ...rest];
    } else if (c.name === 'postgres') {
      if (!pg) throw new Error('postgres is not installed');
      const pgdata = local(mounts, env.PGDATA ?? '/var/lib/postgresql/data');
      const clone = pod.spec!.initContainers?.find((i) => i.name === 'clone');
      const cloneEnv = clone ? await envOf(core, ns, pod, clone) : {};
      // The clone script: pod 0 starts as the primary, any other ordinal clones from PRIMARY_HOST.
      if (!(await pathExists(pgdata)) && cloneEnv.PRIMARY_HOST && !name.endsWith('-0')) {
        const host = await resolve(cloneEnv.PRIMARY_HOST);
        await basebackupMember({
          bindir: pg.bindir,
          dataDir: pgdata,
          password: cloneEnv.PGPASSWORD ?? '',
          host,
          primaryPort: Number(cloneEnv.PRIMARY_PORT),
          user,
        });
        // As pg_basebackup -R writes it, with the pod's DNS name resolved here.
        const conninfo = `host=${host} port=${cloneEnv.PRIMARY_PORT} user=postgres password=${cloneEnv.PGPASSWORD} application_name=${name}`;
        await appendFile(
          join(pgdata, 'postgresql.auto.conf'),
          `primary_conninfo = '${conninfo}'\n`,
        );
      } else if (!(await pathExists(pgdata))) {
        await initdbMember({
          bindir: pg.bindir,
          dataDir: pgdata,
          password: env.POSTGRES_PASSWORD ?? '',
          host: podIP,
          user,
        });
        // The official image's entrypoint: password logins from any host; dbops' init script
        // (in /docker-entrypoint-initdb.d) adds replication logins.
        const hba = ['host all all all scram-sha-256'];
        if (mounts.has('/docker-entrypoint-initdb.d'))
          hba.push('host replication all all scram-sha-256');
        await writeOwned(join(pgdata, 'pg_hba.conf'), `${hba.join('\n')}\n`, user);
      }
      binary = serverBinary(pg);
      asUser = user;
      const sock = join(podDir, 'sock');
      await mkdir(sock, { recursive: true });
      await chmod(sock, 0o777);
      args = [
        '-D',
        pgdata,
        ...(c.args ?? []).map((a) => local(mounts, expand(a, env))),
        '-c',
        `listen_addresses=${podIP}`,
        '-c',
        `port=${ports[0]}`,
        '-c',
        `unix_socket_directories=${sock}`,
      ];
    } else {
      throw new Error(`pod ${name}: no stand-in for container ${c.name} (${c.image})`);
    }
    const child = spawn(binary, args, {
      cwd: podDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      ...(asUser ? { uid: asUser.uid, gid: asUser.gid } : {}),
    });
    const log: string[] = [];
    logs.set(name, log);
    const keep = (d: Buffer) => {
      log.push(d.toString());
      if (log.length > 100) log.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stopSignal = c.name === 'postgres' ? 'SIGINT' : 'SIGTERM';
    running.set(name, { uid: pod.metadata!.uid!, pod: name, child, stopSignal });
    await portForward(pod, ports);
  };

  const stopOne = async (r: Running) => {
    running.delete(r.pod);
    if (r.child.pid && r.child.exitCode === null && r.child.signalCode === null) {
      await stopProcess(systemClock, r.child.pid, r.stopSignal, 30_000, { resendMs: 1000 });
    }
  };

  const tick = async () => {
    const pods = await core.listNamespacedPod({ namespace: ns });
    const live = new Map(
      pods.items
        .filter(
          (p) => p.status?.phase === 'Running' && p.status.podIP && !p.metadata?.deletionTimestamp,
        )
        .map((p) => [p.metadata!.name!, p]),
    );
    for (const r of [...running.values()]) {
      if (live.get(r.pod)?.metadata?.uid !== r.uid) await stopOne(r);
      // An exited server is started again, as restartPolicy Always has the kubelet do.
      else if (r.child.exitCode !== null || r.child.signalCode !== null) running.delete(r.pod);
    }
    for (const [name, p] of live) {
      if (!running.has(name)) {
        await start(p).catch((err: Error) => {
          logs.set(name, [...(logs.get(name) ?? []), `stand-in failed: ${err.message}`]);
        });
      }
    }
  };
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    void tick()
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 150);

  return {
    logOf: (pod) => (logs.get(pod) ?? []).join('').slice(-3000),
    kill: (pod) => void running.get(pod)?.child.kill('SIGKILL'),
    runs: (uid) =>
      [...running.values()].some(
        (r) => r.uid === uid && r.child.exitCode === null && r.child.signalCode === null,
      ),
    async stop() {
      stopped = true;
      clearInterval(timer);
      while (busy) await new Promise((r) => setImmediate(r));
      for (const r of [...running.values()]) await stopOne(r);
      await rm(root, { recursive: true, force: true });
    },
  };
}
