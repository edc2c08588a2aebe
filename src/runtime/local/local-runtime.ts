import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DatabaseSpec } from '../../api/desired.js';
import { codes, transient, waiting, type DbopsError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import { KeyedLock } from '../../platform/lock.js';
import type { Logger } from '../../platform/logger.js';
import type { MemberProber } from '../member-prober.js';
import {
  finished,
  type Credentials,
  type ExpansionMode,
  type MemberPlan,
  type ObservedDatabase,
  type Progress,
  type Runtime,
  type RuntimeEvent,
  type VolumeStatus,
} from '../runtime.js';
import {
  configFromSecret,
  credentialsFromSecret,
  generateCredentials,
  layeredConfig,
  secretRetryMs,
  withoutSecretValues,
  type SecretStore,
} from '../secrets.js';
import type { Binaries } from './binaries.js';
import { secretsDir } from './secrets-dir.js';
import { readCredentials, writeCredentials } from './credentials.js';
import { ensurePlannedMembers, stopAllMembers } from './ensure-members.js';
import { Layout, type VolumeType } from './layout.js';
import { ownedDir, type MemberContext } from './member-context.js';
import { loadMember, startMemberNow, stopForOperation, writeDatabaseConfig } from './member-ops.js';
import { recoverRunning, stopMember } from './member-process.js';
import { restartAfterCrash, restartFloorMs } from './crash-restart.js';
import {
  chooseVolumeType,
  expandMemberVolume,
  memberVolumeStatus,
  releaseDatabaseVolumes,
} from './member-volume.js';
import { adoptAll, observeDatabase } from './observe.js';
import { assertReachable } from './postgres-setup.js';
import { serviceUser } from './proc.js';
import { ServerCatalog } from './server-catalog.js';
import { Supervisor, type ExitInfo } from './supervisor.js';
import { validatePostgresConfig } from './validate-postgres.js';
import { validateRedisConfig } from './validate-redis.js';

/** Options of the local runtime. */
export interface LocalRuntimeOptions {
  stateDir: string;
  clock: Clock;
  log: Logger;
  /** Readiness and settings of the members' servers, over the database clients. */
  prober: MemberProber;
  binaries?: Partial<Binaries>;
  redisClusterNodeTimeoutMs?: number;
  host?: string;
  /** Where the Secrets that manifests name are kept; default `<stateDir>/secrets`. */
  secrets?: SecretStore;
  /**
   * Volume type of new members: `auto` (default) uses loop-mounted images where
   * probeLoopSupport says this machine can, else directories. Existing members keep theirs.
   */
  volumes?: 'auto' | 'loop' | 'directory';
}

/**
 * The local runtime: members are redis-server / postgres processes under a supervisor, with
 * state under `<stateDir>/runtime/`. Members left running by an earlier instance are adopted.
 */
export async function createLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const layout = new Layout(opts.stateDir);
  await mkdir(layout.root, { recursive: true, mode: 0o711 });
  const runtime = new LocalRuntime(opts, layout, await serviceUser());
  await adoptAll(runtime.ctx);
  return runtime;
}

// Volumes that stayed mounted after their members stopped: something else still uses them.
function volumesBusy(problems: string[]): DbopsError {
  return transient(codes.processFailed, `cannot release volumes: ${problems.join('; ')}`, {
    hint: 'a process may still use them (a shell inside one?): free them and retry (dbops down)',
  });
}

/** The local runtime; beyond Runtime, members can be stopped on purpose (stopMember). */
export class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  readonly ctx: MemberContext;
  private readonly lock = new KeyedLock();
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly servers: ServerCatalog;
  private closed = false;
  private volumeType: Promise<VolumeType> | undefined;

  constructor(
    private readonly opts: LocalRuntimeOptions,
    private readonly layout: Layout,
    user: MemberContext['user'],
  ) {
    this.servers = new ServerCatalog(opts.binaries);
    const emit = (event: RuntimeEvent) => this.emit(event);
    const supervisor = new Supervisor({
      clock: opts.clock,
      log: opts.log,
      emit,
      recordExit: (db, member, exit) => this.recordExit(db, member, exit),
      restart: (db, member) => this.restartAfterCrash(db, member),
      restartFloorMs: (db) => restartFloorMs(this.ctx, db),
    });
    this.ctx = {
      layout,
      clock: opts.clock,
      log: opts.log,
      host: opts.host ?? '127.0.0.1',
      nodeTimeoutMs: opts.redisClusterNodeTimeoutMs ?? 5_000,
      user,
      prober: opts.prober,
      supervisor,
      emit,
      secrets: opts.secrets ?? secretsDir(join(opts.stateDir, 'secrets')),
      newVolumeType: () => (this.volumeType ??= chooseVolumeType(this.ctx, opts.volumes ?? 'auto')),
    };
  }

  list(): Promise<string[]> {
    return this.layout.databases();
  }

  observe(database: string): Promise<ObservedDatabase | undefined> {
    return observeDatabase(this.ctx, database);
  }

  async volumeUsage(database: string): Promise<{ member: string; volume: VolumeStatus }[]> {
    // Read-only statfs/accounting: it must not wait behind an operation holding the lock.
    const dbf = await this.layout.readDb(database);
    if (!dbf) return [];
    const out = [];
    for (const name of await this.layout.members(database)) {
      const mf = await this.layout.readMember(database, name);
      if (!mf?.wanted) continue;
      const fallback = dbf.lastSpec?.storageBytes ?? 0;
      out.push({
        member: name,
        volume: await memberVolumeStatus(this.ctx, database, mf, fallback),
      });
    }
    return out;
  }

  ensureCredentials(spec: DatabaseSpec): Promise<Credentials> {
    return this.lock.run(spec.name, () => this.credentialsFor(spec));
  }

  credentials(database: string): Promise<Credentials | undefined> {
    return readCredentials(this.layout, database);
  }

  /** Blocks until every member runs: local processes come up or fail within the call. */
  ensureMembers(
    spec: DatabaseSpec,
    members: MemberPlan[],
    signal?: AbortSignal,
  ): Promise<Progress> {
    return this.lock.run(spec.name, async () => {
      this.warnUnenforcedResources(spec);
      const { install, note } = await this.servers.choose(spec);
      if (spec.kind === 'Postgres')
        await assertReachable(this.layout.dbDir(spec.name), this.ctx.user);
      await ownedDir(
        this.layout.dbDir(spec.name),
        spec.kind === 'Postgres' ? this.ctx.user : undefined,
      );
      const notes = note ? [note] : [];
      await this.layout.writeDb({
        name: spec.name,
        kind: spec.kind,
        halted: spec.halted,
        lastSpec: spec,
        notes,
      });
      if (spec.halted) {
        await stopAllMembers(this.ctx, spec.name);
        return finished();
      }
      const { password } = await this.credentialsFor(spec);
      await ensurePlannedMembers(this.ctx, spec, members, install, password, signal);
      return finished();
    });
  }

  restartMember(database: string, member: string, signal?: AbortSignal): Promise<void> {
    return this.lock.run(database, async () => {
      const { dbf, mf } = await loadMember(this.ctx, database, member);
      await recoverRunning(this.ctx, dbf.kind, database, mf);
      await stopMember(this.ctx, dbf.kind, database, mf);
      await startMemberNow(this.ctx, this.servers, database, member, signal);
    });
  }

  /**
   * Local only: stops one member on purpose; the supervisor leaves it down until
   * `startMember` or `ensureMembers`. Idempotent.
   */
  stopMember(database: string, member: string): Promise<void> {
    return this.lock.run(database, () => stopForOperation(this.ctx, database, member));
  }

  /** Local only: starts a member stopped with `stopMember`; returns when it accepts connections. */
  startMember(database: string, member: string, signal?: AbortSignal): Promise<void> {
    return this.lock.run(database, () =>
      startMemberNow(this.ctx, this.servers, database, member, signal),
    );
  }

  async validateConfig(spec: DatabaseSpec): Promise<{ settings: Record<string, string> }> {
    // Not under the database's lock: it touches no member and must not wait for an operation.
    const first = (await this.layout.members(spec.name))[0];
    const mf = first ? await this.layout.readMember(spec.name, first) : undefined;
    const server = await this.servers.serverOf(spec, mf ?? {});
    const fromSecret = await configFromSecret(this.ctx.secrets, spec);
    const layered = layeredConfig(spec, fromSecret);
    try {
      const settings =
        layered.kind === 'Redis'
          ? await validateRedisConfig(this.ctx, layered, server.binary)
          : await validatePostgresConfig(this.ctx, layered, dirname(server.binary));
      return { settings };
    } catch (err) {
      throw withoutSecretValues(err, spec, fromSecret);
    }
  }

  writeConfig(spec: DatabaseSpec): Promise<void> {
    return this.lock.run(spec.name, () => writeDatabaseConfig(this.ctx, spec));
  }

  expandVolume(
    database: string,
    member: string,
    bytes: number,
    mode: ExpansionMode,
    signal?: AbortSignal,
  ): Promise<Progress<VolumeStatus>> {
    return this.lock.run(database, async () => {
      // Offline: stopped on purpose first (the supervisor leaves it down), so a crash between
      // here and the start below leaves it stopped, and the call again grows and starts it.
      if (mode === 'Offline') await stopForOperation(this.ctx, database, member);
      const { dbf, mf } = await loadMember(this.ctx, database, member);
      mf.capacityBytes ??= dbf.lastSpec.storageBytes;
      const volume = await expandMemberVolume(this.ctx, database, mf, bytes);
      if (mode === 'Offline')
        await startMemberNow(this.ctx, this.servers, database, member, signal);
      return finished(volume);
    });
  }

  /** Nothing to do here: members created later get the spec's size from ensureMembers. */
  finishVolumeExpansion(): Promise<Progress> {
    return Promise.resolve(finished());
  }

  halt(database: string): Promise<void> {
    return this.lock.run(database, async () => {
      const dbf = await this.layout.readDb(database);
      if (!dbf) return;
      if (!dbf.halted) await this.layout.writeDb({ ...dbf, halted: true });
      await stopAllMembers(this.ctx, database);
    });
  }

  wipe(database: string): Promise<void> {
    return this.lock.run(database, async () => {
      const dbf = await this.layout.readDb(database);
      // Marked halted first: a crash before the delete leaves nothing to restart.
      if (dbf && !dbf.halted) await this.layout.writeDb({ ...dbf, halted: true });
      await stopAllMembers(this.ctx, database);
      // Unmounted first: a recursive delete must never run into a mounted volume.
      const problems = await releaseDatabaseVolumes(this.ctx, database);
      if (problems.length > 0) throw volumesBusy(problems);
      await rm(this.layout.dbDir(database), { recursive: true, force: true });
    });
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(opts: { stopMembers: boolean }): Promise<void> {
    this.closed = true;
    this.ctx.supervisor.close();
    if (!opts.stopMembers) return;
    const problems: string[] = [];
    for (const db of await this.layout.databases()) {
      await this.lock.run(db, async () => {
        await stopAllMembers(this.ctx, db);
        // A clean stop leaves no mount or loop device behind; the next start mounts again.
        problems.push(...(await releaseDatabaseVolumes(this.ctx, db)));
      });
    }
    if (problems.length > 0) throw volumesBusy(problems);
  }

  /** Databases told that their resources are not enforced here (once per controller). */
  private readonly resourcesWarned = new Set<string>();

  private warnUnenforcedResources(spec: DatabaseSpec): void {
    if ((!spec.resources && !spec.pod) || this.resourcesWarned.has(spec.name)) return;
    this.resourcesWarned.add(spec.name);
    const fields = [
      ...(spec.resources ? ['resources'] : []),
      ...Object.keys(spec.pod ?? {}).map((k) => k.replace(/^controller(\w)/, 'controller.$1')),
    ];
    const redis = spec.kind === 'Redis' && spec.resources?.limits?.memory !== undefined;
    this.opts.log.warn(
      { database: spec.name, fields },
      `podTemplate ${fields.join(', ')} have no meaning on the local runtime (members are plain processes): the Kubernetes runtime applies them${redis ? '; maxmemory keeps Redis within a memory limit here' : ''}`,
    );
  }

  private emit(event: RuntimeEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.opts.log.error({ err }, 'runtime event listener failed');
      }
    }
  }

  /**
   * The credentials the database runs with: from the Secret spec.authSecret.name names (created
   * there when missing), else generated; recorded once in the state dir. A Secret whose
   * password differs from the one the database runs with is refused (rotation is not yet).
   */
  private async credentialsFor(spec: DatabaseSpec): Promise<Credentials> {
    const known = await readCredentials(this.layout, spec.name);
    const fresh = () => known ?? generateCredentials(spec.kind);
    const name = spec.authSecretName;
    const named = name
      ? await credentialsFromSecret(this.ctx.secrets, spec, name, fresh)
      : undefined;
    const creds = known ?? named ?? fresh();
    if (!known) await writeCredentials(this.layout, spec.name, creds);
    if (named && named.password !== creds.password) {
      throw waiting(
        codes.secretInvalid,
        `${spec.name} runs with another password than Secret ${name} (spec.authSecret.name, in ${this.ctx.secrets.where}) holds: changing the password is not supported yet`,
        secretRetryMs,
        {
          hint: `put the password it runs with back into the Secret ('dbops credentials ${spec.name}' shows it), or remove spec.authSecret.name`,
        },
      );
    }
    if (!(await this.layout.readDb(spec.name))) {
      await this.layout.writeDb({ name: spec.name, kind: spec.kind, halted: false, notes: [] });
    }
    return creds;
  }

  private recordExit(db: string, member: string, exit: ExitInfo): Promise<void> {
    return this.lock.run(db, async () => {
      const mf = await this.layout.readMember(db, member);
      if (mf) await this.layout.writeMember(db, { ...mf, lastExit: exit });
    });
  }

  private restartAfterCrash(db: string, member: string): Promise<void> {
    return this.lock.run(db, async () => {
      if (!this.closed) await restartAfterCrash(this.ctx, this.servers, db, member);
    });
  }
}
