import { chmod, chown, mkdir } from 'node:fs/promises';
import type { DatabaseKind, DatabaseSpec } from '../../api/desired.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { SecretStore } from '../secrets.js';
import type { MemberProber } from '../member-prober.js';
import type { MemberPlan, RuntimeEvent } from '../runtime.js';
import type { Layout, MemberFile, VolumeType } from './layout.js';
import { BUS_OFFSET, allocatePort } from './ports.js';
import type { ServiceUser } from './proc.js';
import type { Supervisor } from './supervisor.js';

/**
 * What every member operation needs: paths, time, logs, the prober of the servers, the
 * supervisor and the event sink.
 */
export interface MemberContext {
  layout: Layout;
  clock: Clock;
  log: Logger;
  host: string;
  nodeTimeoutMs: number;
  /** The account Postgres runs as when we are root. */
  user: ServiceUser | undefined;
  /** Asks a started server whether it serves clients and which settings it runs with. */
  prober: MemberProber;
  supervisor: Supervisor;
  emit(event: RuntimeEvent): void;
  /** The volume type for a new member (loop where supported, decided once per runtime). */
  newVolumeType(): Promise<VolumeType>;
  /** The Secrets manifests name (the secrets dir). */
  secrets: SecretStore;
}

/** The account that owns a member's files and process (undefined: the current user). */
export function ownerOf(ctx: MemberContext, kind: DatabaseKind): ServiceUser | undefined {
  return kind === 'Postgres' ? ctx.user : undefined;
}

/** True for a Redis Cluster database (members need a cluster bus port). */
export function isCluster(spec: DatabaseSpec): boolean {
  return spec.kind === 'Redis' && spec.mode === 'Cluster';
}

/** Every port and bus port assigned to any member in the state directory. */
export async function takenPorts(layout: Layout): Promise<Set<number>> {
  const taken = new Set<number>();
  for (const db of await layout.databases()) {
    for (const m of await layout.members(db)) {
      const mf = await layout.readMember(db, m);
      if (mf) taken.add(mf.port);
      if (mf?.busPort) taken.add(mf.busPort);
    }
  }
  return taken;
}

/** Creates the scratch directory (0711: Postgres' user must traverse it) and returns it. */
export async function scratchDir(ctx: MemberContext): Promise<string> {
  const dir = ctx.layout.scratchDir();
  await mkdir(dir, { recursive: true, mode: 0o711 });
  await chmod(dir, 0o711);
  return dir;
}

/** Creates a directory with mode 0700, owned by `owner` when given. */
export async function ownedDir(path: string, owner: ServiceUser | undefined): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  if (owner) await chown(path, owner.uid, owner.gid);
}

/**
 * Creates the member's directory and member.json with a newly allocated port, its volume type
 * and capacity, persisted before any process starts; an existing member.json is returned
 * marked as wanted and no longer stopped for an operation (the controller calls ensureMembers
 * only when no operation runs, so a member a failed operation left stopped comes back).
 */
export async function ensureMemberFile(
  ctx: MemberContext,
  spec: DatabaseSpec,
  plan: MemberPlan,
): Promise<MemberFile> {
  const owner = ownerOf(ctx, spec.kind);
  const db = spec.name;
  await ownedDir(ctx.layout.dbDir(db), owner);
  await ownedDir(ctx.layout.membersDir(db), owner);
  await ownedDir(ctx.layout.memberDir(db, plan.name), owner);
  const existing = await ctx.layout.readMember(db, plan.name);
  if (existing) {
    // Members made before capacity accounting take the spec's size once, then keep it.
    if (!existing.wanted || existing.stoppedForOperation || existing.capacityBytes === undefined) {
      existing.wanted = true;
      delete existing.stoppedForOperation;
      existing.capacityBytes ??= spec.storageBytes;
      await ctx.layout.writeMember(db, existing);
    }
    return existing;
  }
  const bus = isCluster(spec);
  const port = await allocatePort({ host: ctx.host, bus, taken: await takenPorts(ctx.layout) });
  const mf: MemberFile = {
    name: plan.name,
    shard: plan.shard,
    ordinal: plan.ordinal,
    role: plan.role,
    port,
    ...(bus ? { busPort: port + BUS_OFFSET } : {}),
    wanted: true,
    restarts: 0,
    volumeType: await ctx.newVolumeType(),
    capacityBytes: spec.storageBytes,
  };
  await ctx.layout.writeMember(db, mf);
  return mf;
}
