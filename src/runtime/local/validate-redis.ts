import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisSpec } from '../../api/desired.js';
import { codes, stalled, transient, type DbopsError } from '../../errors.js';
import { waitFor } from '../../platform/clock.js';
import { writeFileAtomic } from '../../platform/files.js';
import { isCluster, scratchDir, takenPorts, type MemberContext } from './member-context.js';
import { BUS_OFFSET, allocatePort } from './ports.js';
import { renderRedisConfig } from '../../db/redis/config-file.js';

const START_TIMEOUT_MS = 15_000;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * What a refused start says: Redis prints `>>> '<directive line>'` followed by the reason.
 * Undefined when the output holds no such report (the server failed for another reason). Pure.
 */
export function redisConfigFailure(
  output: string,
): { key: string; line: string; reason: string } | undefined {
  const lines = output.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith(">>> '"));
  if (at < 0) return undefined;
  const line = (lines[at] ?? '').slice(4);
  const key = /^'\s*([^\s']+)/.exec(line)?.[1] ?? '';
  const reason = lines.slice(at + 1).find((l) => l !== '') ?? 'rejected';
  return { key, line, reason };
}

/**
 * Starts a scratch redis-server (the given binary, the spec's mode and custom directives, a
 * free port, a random password, a temp dir under the state dir), reads every setting with
 * `CONFIG GET *`, then kills it and removes its dir, also on error. A refused start is an
 * invalidField error naming the directive and quoting the server's reason.
 */
export async function validateRedisConfig(
  ctx: MemberContext,
  spec: RedisSpec,
  binary: string,
): Promise<Record<string, string>> {
  const cluster = isCluster(spec);
  const port = await allocatePort({
    host: ctx.host,
    bus: cluster,
    taken: await takenPorts(ctx.layout),
  });
  const password = randomBytes(24).toString('base64url');
  const dir = join(await scratchDir(ctx), `redis-${randomBytes(6).toString('hex')}`);
  // Rendering first: a directive the runtime owns is refused before anything starts.
  const text = renderRedisConfig({
    host: ctx.host,
    port,
    dataDir: dir,
    password,
    ...(cluster
      ? { cluster: { nodeTimeoutMs: ctx.nodeTimeoutMs, busPort: port + BUS_OFFSET } }
      : {}),
    config: spec.config,
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFileAtomic(join(dir, 'redis.conf'), text, { mode: 0o600 });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const child = spawn(binary, [join(dir, 'redis.conf')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  let output = '';
  const collect = (b: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += b.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('close', () => resolve()); // after stdio drained: the whole report is read
    child.once('error', (err) => {
      output += `\n${err.message}`;
      resolve();
    });
  });
  void exit.then(() => (exited = true));
  try {
    const state = await waitFor(
      ctx.clock,
      `a scratch redis-server on port ${port} to accept connections`,
      async () =>
        exited
          ? 'dead'
          : (await ctx.prober.ready('Redis', { host: ctx.host, port }, password))
            ? 'ready'
            : undefined,
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 20 },
    ).catch((err: unknown) => {
      throw transient(codes.timeout, `a scratch redis-server for ${spec.name} did not start`, {
        cause: err,
        hint: 'the machine may be overloaded; retry later',
      });
    });
    if (state === 'dead') throw refused(spec.name, output);
    return await ctx.prober.redisSettings({ host: ctx.host, port }, password);
  } finally {
    child.kill('SIGKILL');
    await exit;
    await rm(dir, { recursive: true, force: true });
  }
}

function refused(db: string, output: string): DbopsError {
  const failure = redisConfigFailure(output);
  if (!failure) {
    const tail = output.trim().split('\n').slice(-3).join(' / ');
    return transient(
      codes.processFailed,
      `a scratch redis-server for ${db} did not start: ${tail}`,
    );
  }
  const { key, line, reason } = failure;
  return stalled(
    codes.invalidField,
    `redis rejects "${key}" in the configuration of ${db}: ${reason} (>>> ${line})`,
    { hint: `fix or remove "${key}" in the configuration` },
  );
}
