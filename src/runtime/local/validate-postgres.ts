import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresSpec } from '../../api/desired.js';
import { codes, stalled, transient } from '../../errors.js';
import { ownedDir, scratchDir, type MemberContext } from './member-context.js';
import { primaryOf } from './member-config.js';
import { memberDataDir } from './member-volume.js';
import { renderPgSetting } from '../../db/postgres/config-file.js';
import { initdbMember } from './postgres-setup.js';

const run = promisify(execFile);
const CHECK_TIMEOUT_MS = 10_000;

/**
 * The server's complaint in `postgres -C` stderr, without the log prefix, e.g.
 * `invalid value for parameter "shared_buffers": "banana"`. Pure.
 */
export function postgresComplaint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.find((l) => /\b(FATAL|ERROR):\s/.test(l));
  const text = fatal ? fatal.replace(/^.*?\b(FATAL|ERROR):\s+/, '') : lines.slice(-2).join(' / ');
  const hint = lines.find((l) => /\bHINT:\s/.test(l))?.replace(/^.*?\bHINT:\s+/, '');
  return hint ? `${text} (${hint})` : text;
}

/**
 * Checks each custom setting with `postgres -C <key> -c <key>=<value> -D <data dir>` as the
 * service user: the primary's data dir (this works while the server runs), or a scratch
 * initdb when the database has no data yet. Returns each key's value as postgres shows it.
 * An unknown parameter or a bad value is an invalidField error naming the key.
 */
export async function validatePostgresConfig(
  ctx: MemberContext,
  spec: PostgresSpec,
  bindir: string,
): Promise<Record<string, string>> {
  const keys = Object.entries(spec.config);
  for (const [key, value] of keys) renderPgSetting(key, value); // owned settings: refused
  if (keys.length === 0) return {};
  const primary = await primaryOf(ctx, spec.name).catch(() => undefined);
  let dataDir: string | undefined = primary ? memberDataDir(ctx, spec.name, primary) : undefined;
  let scratch: string | undefined;
  try {
    if (!dataDir || !(await has(join(dataDir, 'PG_VERSION')))) {
      scratch = join(await scratchDir(ctx), `pg-${randomBytes(6).toString('hex')}`);
      await ownedDir(scratch, ctx.user);
      dataDir = join(scratch, 'data');
      const password = randomBytes(24).toString('base64url');
      await initdbMember({ bindir, dataDir, password, host: ctx.host, user: ctx.user });
    }
    const settings: Record<string, string> = {};
    for (const [key, value] of keys) {
      settings[key] = await show(ctx, bindir, dataDir, spec.name, key, value);
    }
    return settings;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function show(
  ctx: MemberContext,
  bindir: string,
  dataDir: string,
  db: string,
  key: string,
  value: string,
): Promise<string> {
  try {
    const { stdout } = await run(
      join(bindir, 'postgres'),
      ['-C', key, '-c', `${key}=${value}`, '-D', dataDir],
      {
        cwd: '/',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
        timeout: CHECK_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid } : {}),
      },
    );
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; killed?: boolean; message: string };
    if (e.killed) {
      throw transient(codes.timeout, `checking "${key}" with postgres -C took too long`, {
        cause: err,
      });
    }
    const why = postgresComplaint(e.stderr ?? e.message);
    throw stalled(codes.invalidField, `postgres rejects "${key}" for ${db}: ${why}`, {
      hint: `fix or remove "${key}" in the configuration`,
      cause: err,
    });
  }
}

async function has(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
