import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseSpec } from '../../api/desired.js';
import { codes, waiting, transient } from '../../errors.js';
import type { MemberFile } from './layout.js';
import { isCluster, ownerOf, type MemberContext } from './member-context.js';
import { renderPgpass, renderPostgresConf } from '../../db/postgres/config-file.js';
import { basebackupMember, initdbMember, writeOwned } from './postgres-setup.js';
import { renderRedisConfig } from '../../db/redis/config-file.js';
import { ensureMemberVolume, memberDataDir, volumeTypeOf } from './member-volume.js';
import { ensureDirectoryVolume } from './volume.js';
import { configFromSecret, layeredConfig } from '../secrets.js';
import { specSettingsInput } from '../postgres-settings.js';

/** The member a Postgres standby is cloned from and streams from: shard 0, ordinal 0. */
export async function primaryOf(ctx: MemberContext, db: string): Promise<MemberFile | undefined> {
  for (const name of await ctx.layout.members(db)) {
    const mf = await ctx.layout.readMember(db, name);
    if (mf && mf.shard === 0 && mf.ordinal === 0) return mf;
  }
  return undefined;
}

/**
 * Creates the member's volume (a loop image is made and mounted first) and its data: a data
 * directory for Redis; initdb for the Postgres primary; pg_basebackup from the running
 * primary for a standby. Returns early when data exists.
 */
export async function ensureMemberData(
  ctx: MemberContext,
  spec: DatabaseSpec,
  mf: MemberFile,
  password: string,
  bindir: string,
): Promise<void> {
  await ensureMemberVolume(ctx, spec.kind, spec.name, mf);
  const dataDir = memberDataDir(ctx, spec.name, mf);
  if (spec.kind === 'Redis') return ensureDirectoryVolume(dataDir);
  const user = ownerOf(ctx, spec.kind);
  if (mf.ordinal === 0) {
    return initdbMember({ bindir, dataDir, password, host: ctx.host, user });
  }
  const primary = await primaryOf(ctx, spec.name);
  const running =
    primary !== undefined &&
    (await ctx.prober.ready('Postgres', { host: ctx.host, port: primary.port }, password));
  if (!primary || !running) {
    throw waiting(
      codes.replicationFailed,
      `standby ${mf.name} cannot be cloned: the primary of ${spec.name} is not running`,
      2_000,
      { hint: 'start the primary first' },
    );
  }
  await basebackupMember({
    bindir,
    dataDir,
    password,
    host: ctx.host,
    primaryPort: primary.port,
    user,
  });
}

async function writeIfChanged(
  path: string,
  text: string,
  write: (path: string, text: string) => Promise<void>,
): Promise<boolean> {
  let current: string | undefined;
  try {
    current = await readFile(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === text) return false;
  await write(path, text);
  return true;
}

/**
 * Renders the member's configuration (redis.conf, or dbops.conf plus the standby's passfile)
 * and writes it only when it changed. Returns true when it was written.
 */
export async function writeMemberConfig(
  ctx: MemberContext,
  spec: DatabaseSpec,
  mf: MemberFile,
  password: string,
): Promise<boolean> {
  // The configuration Secret's settings lie under the manifest's (read at every write).
  spec = layeredConfig(spec, await configFromSecret(ctx.secrets, spec));
  const path = ctx.layout.configFile(spec.kind, spec.name, mf.name, volumeTypeOf(mf));
  const user = ownerOf(ctx, spec.kind);
  const write = (p: string, t: string) => writeOwned(p, t, user);
  if (spec.kind === 'Redis') {
    const text = renderRedisConfig({
      host: ctx.host,
      port: mf.port,
      dataDir: memberDataDir(ctx, spec.name, mf),
      password,
      ...(isCluster(spec)
        ? { cluster: { nodeTimeoutMs: ctx.nodeTimeoutMs, busPort: mf.busPort ?? mf.port + 10_000 } }
        : {}),
      config: spec.config,
    });
    return writeIfChanged(path, text, write);
  }
  // dbops.conf lives in the data dir: writing it into a missing one (an unmounted volume)
  // would make an empty data dir that initdb then skips.
  await access(join(memberDataDir(ctx, spec.name, mf), 'PG_VERSION')).catch((err: unknown) => {
    throw transient(codes.stateCorrupt, `${mf.name} has no Postgres data directory`, {
      cause: err,
      hint: 'run ensureMembers (it creates the data and mounts loop volumes)',
    });
  });
  let standby;
  if (mf.ordinal > 0) {
    const primary = await primaryOf(ctx, spec.name);
    const passfile = join(ctx.layout.memberDir(spec.name, mf.name), 'pgpass');
    await writeIfChanged(passfile, renderPgpass(ctx.host, password), write);
    if (primary) standby = { primaryPort: primary.port, passfile, applicationName: mf.name };
  }
  const text = renderPostgresConf({
    host: ctx.host,
    port: mf.port,
    ...(standby ? { standby } : {}),
    ...specSettingsInput(spec),
  });
  return writeIfChanged(path, text, write);
}
