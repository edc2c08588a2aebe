import { readFile } from 'node:fs/promises';
import type { DatabaseKind, DatabaseSpec } from '../../api/desired.js';
import { codes, transient } from '../../errors.js';
import { waitFor } from '../../platform/clock.js';
import type { MemberFile } from './layout.js';
import { isCluster, ownerOf, takenPorts, type MemberContext } from './member-context.js';
import { writeMemberConfig } from './member-config.js';
import { BUS_OFFSET, allocatePort, isPortFree } from './ports.js';
import { findProcessWithArg, isAlive, isOurProcess, spawnDetached, stopProcess } from './proc.js';

const STOP_TIMEOUT_MS = 30_000;

/** True when the member's recorded pid is alive and is this member's server (not a reused pid). */
export function memberRunning(
  ctx: MemberContext,
  kind: DatabaseKind,
  db: string,
  mf: MemberFile,
): Promise<boolean> {
  return isOurProcess(mf.pid, ctx.layout.processMarker(kind, db, mf.name, mf.volumeType));
}

/**
 * Adopts the member's server when it runs without a recorded pid (a controller died between
 * spawning it and writing member.json), so that no second server starts on the same data.
 * Returns true when the member runs (recorded or recovered).
 */
export async function recoverRunning(
  ctx: MemberContext,
  kind: DatabaseKind,
  db: string,
  mf: MemberFile,
): Promise<boolean> {
  if (await memberRunning(ctx, kind, db, mf)) return true;
  const pid = await findProcessWithArg(ctx.layout.processMarker(kind, db, mf.name, mf.volumeType));
  if (pid === undefined) return false;
  mf.pid = pid;
  mf.startedAt ??= ctx.clock.now();
  await ctx.layout.writeMember(db, mf);
  ctx.log.warn({ database: db, member: mf.name, pid }, 'found an unrecorded server; adopting it');
  return true;
}

async function portsFree(ctx: MemberContext, mf: MemberFile): Promise<boolean> {
  if (!(await isPortFree(ctx.host, mf.port))) return false;
  return mf.busPort === undefined || isPortFree(ctx.host, mf.busPort);
}

/**
 * Starts the member's server from its on-disk configuration. When its persisted port is taken
 * by another process, a new port is allocated, persisted and announced first. The new pid is
 * persisted and handed to the supervisor; `afterCrash` counts a restart in the same write, so
 * nobody reads the new pid with the old restart count.
 */
export async function launchMember(
  ctx: MemberContext,
  spec: DatabaseSpec,
  mf: MemberFile,
  password: string,
  server: { binary: string; version: string },
  opts: { afterCrash?: boolean } = {},
): Promise<MemberFile> {
  const db = spec.name;
  if (!(await portsFree(ctx, mf))) {
    const old = mf.port;
    const bus = isCluster(spec);
    mf.port = await allocatePort({ host: ctx.host, bus, taken: await takenPorts(ctx.layout) });
    if (bus) mf.busPort = mf.port + BUS_OFFSET;
    await ctx.layout.writeMember(db, mf);
    await writeMemberConfig(ctx, spec, mf, password);
    ctx.emit({
      database: db,
      member: mf.name,
      type: 'member-restarted',
      message: `port changed from ${old} to ${mf.port}: ${old} is taken by another process`,
    });
  }
  const args =
    spec.kind === 'Redis'
      ? [ctx.layout.configFile('Redis', db, mf.name)]
      : ['-D', ctx.layout.dataDir(db, mf.name, mf.volumeType)];
  const owner = ownerOf(ctx, spec.kind);
  const child = spawnDetached({
    binary: server.binary,
    args,
    cwd: ctx.layout.memberDir(db, mf.name),
    logFile: ctx.layout.logFile(db, mf.name),
    ...(owner ? { user: owner } : {}),
  });
  child.on('error', (err) => ctx.log.error({ database: db, member: mf.name, err }, 'spawn failed'));
  if (child.pid === undefined) {
    throw transient(codes.processFailed, `could not start ${server.binary} for ${mf.name}`, {
      hint: 'check that the server binary exists and is executable',
    });
  }
  Object.assign(mf, {
    pid: child.pid,
    startedAt: ctx.clock.now(),
    binary: server.binary,
    version: server.version,
    restarts: mf.restarts + (opts.afterCrash ? 1 : 0),
  });
  await ctx.layout.writeMember(db, mf);
  ctx.supervisor.watch(db, mf.name, child.pid, mf.startedAt ?? 0, child);
  ctx.log.info({ database: db, member: mf.name, pid: child.pid, port: mf.port }, 'member started');
  ctx.emit({ database: db, member: mf.name, type: 'member-started', message: `pid ${child.pid}` });
  return mf;
}

/**
 * Stops a member on purpose (SIGTERM for Redis, SIGINT = fast shutdown for Postgres; SIGKILL
 * after a timeout). The supervisor lets go of it first, so it is not restarted.
 */
export async function stopMember(
  ctx: MemberContext,
  kind: DatabaseKind,
  db: string,
  mf: MemberFile,
): Promise<void> {
  ctx.supervisor.unwatch(db, mf.name);
  if (mf.pid !== undefined && (await memberRunning(ctx, kind, db, mf))) {
    const redis = kind === 'Redis';
    await stopProcess(ctx.clock, mf.pid, redis ? 'SIGTERM' : 'SIGINT', STOP_TIMEOUT_MS, {
      ...(redis ? { resendMs: 500 } : {}),
    });
    ctx.log.info({ database: db, member: mf.name, pid: mf.pid }, 'member stopped');
  }
  if (mf.pid !== undefined) {
    delete mf.pid;
    await ctx.layout.writeMember(db, mf);
  }
}

async function logTail(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

/**
 * Waits until the member accepts connections (AUTH + PING for Redis, a login offer for
 * Postgres). Throws processFailed with the end of server.log when the process dies first.
 */
export async function waitMemberReady(
  ctx: MemberContext,
  kind: DatabaseKind,
  db: string,
  mf: MemberFile,
  password: string,
  signal?: AbortSignal,
): Promise<void> {
  const pid = mf.pid;
  const state = await waitFor(
    ctx.clock,
    `${mf.name} to accept connections on port ${mf.port}`,
    async () => {
      if (pid === undefined || !(await isAlive(pid))) return 'dead';
      const ready = await ctx.prober.ready(kind, { host: ctx.host, port: mf.port }, password);
      return ready ? 'ready' : undefined;
    },
    {
      timeoutMs: kind === 'Redis' ? 60_000 : 120_000,
      intervalMs: 100,
      ...(signal ? { signal } : {}),
    },
  );
  if (state === 'dead') {
    const tail = await logTail(ctx.layout.logFile(db, mf.name));
    throw transient(codes.processFailed, `${mf.name} exited while starting:\n${tail}`, {
      hint: `see ${ctx.layout.logFile(db, mf.name)}`,
    });
  }
  ctx.emit({ database: db, member: mf.name, type: 'member-ready', message: `port ${mf.port}` });
}
