import { execFile } from 'node:child_process';
import { access, appendFile, chown, constants, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { codes, stalled, transient } from '../../errors.js';
import { pathExists, writeFileAtomic } from '../../platform/files.js';
import { includeLine, renderPgHba } from '../../db/postgres/config-file.js';
import type { ServiceUser } from './proc.js';

const run = promisify(execFile);

/** Writes a file owned by the service user (Postgres refuses files it cannot read). */
export async function writeOwned(
  path: string,
  data: string,
  user: ServiceUser | undefined,
  mode = 0o600,
): Promise<void> {
  await writeFileAtomic(path, data, { mode });
  if (user) await chown(path, user.uid, user.gid);
}

/**
 * Checks that the service user can traverse every directory above `path`; throws
 * prerequisite with the chmod to run otherwise (e.g. a state dir under /root).
 */
export async function assertReachable(path: string, user: ServiceUser | undefined): Promise<void> {
  if (!user) return;
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const st = await stat(dir);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw stalled(codes.prerequisite, `user ${user.name} cannot reach ${path}`, {
        hint: `run: chmod o+x ${dir}  (or put the state directory where ${user.name} can reach it)`,
      });
    }
    if (dirname(dir) === dir) return;
  }
}

async function tool(bindir: string, name: string): Promise<string> {
  const path = join(bindir, name);
  try {
    await access(path, constants.X_OK);
    return path;
  } catch {
    throw stalled(codes.prerequisite, `${name} is missing from ${bindir}`, {
      hint: 'install the full server: apt-get install -y postgresql',
    });
  }
}

async function runAs(
  binary: string,
  args: string[],
  user: ServiceUser | undefined,
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<void> {
  try {
    await run(binary, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ...env },
      timeout: 300_000,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? '';
    throw transient(codes.processFailed, `${what} failed: ${stderr.slice(-500)}`, { cause: err });
  }
}

/**
 * Creates a Postgres data directory with SCRAM auth for `postgres`: initdb into a temp dir,
 * dbops' include line and pg_hba, then a rename, so a crash never leaves a half-made `data/`.
 * Returns early when `dataDir` exists.
 */
export async function initdbMember(opts: {
  bindir: string;
  dataDir: string;
  password: string;
  host: string;
  user: ServiceUser | undefined;
}): Promise<void> {
  if (await pathExists(opts.dataDir)) return;
  const tmp = `${opts.dataDir}.init`;
  const pwfile = join(dirname(opts.dataDir), '.pwfile');
  await rm(tmp, { recursive: true, force: true });
  try {
    await writeOwned(pwfile, opts.password + '\n', opts.user);
    const args = ['-D', tmp, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`];
    await runAs(
      await tool(opts.bindir, 'initdb'),
      [...args, '-E', 'UTF8'],
      opts.user,
      {},
      'initdb',
    );
  } finally {
    await rm(pwfile, { force: true });
  }
  await appendFile(join(tmp, 'postgresql.conf'), `\n${includeLine}\n`);
  await writeOwned(join(tmp, 'pg_hba.conf'), renderPgHba(opts.host), opts.user);
  await rename(tmp, opts.dataDir);
}

/**
 * Clones a standby's data directory from the running primary with pg_basebackup (password in
 * PGPASSWORD, never in argv) into a temp dir, marks it a standby, then renames it into place.
 * Returns early when `dataDir` exists.
 */
export async function basebackupMember(opts: {
  bindir: string;
  dataDir: string;
  password: string;
  host: string;
  primaryPort: number;
  user: ServiceUser | undefined;
}): Promise<void> {
  if (await pathExists(opts.dataDir)) return;
  const tmp = `${opts.dataDir}.clone`;
  await rm(tmp, { recursive: true, force: true });
  const args = ['-h', opts.host, '-p', String(opts.primaryPort), '-U', 'postgres'];
  await runAs(
    await tool(opts.bindir, 'pg_basebackup'),
    [...args, '-D', tmp, '-X', 'stream', '-c', 'fast', '--no-password'],
    opts.user,
    { PGPASSWORD: opts.password, PGCONNECT_TIMEOUT: '10' },
    'pg_basebackup from the primary',
  );
  // primary_conninfo lives in dbops.conf (rewritten with the primary's current port), so -R
  // is not used: only the signal file is needed.
  await writeOwned(join(tmp, 'standby.signal'), '', opts.user);
  await rename(tmp, opts.dataDir);
}
