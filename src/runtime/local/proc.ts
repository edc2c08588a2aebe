import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { waitFor, type Clock } from '../../platform/clock.js';

/** The unprivileged account Postgres runs as when we are root; undefined when not root. */
export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

/** Looks up `postgres` (else `nobody`) in /etc/passwd when running as root. */
export async function serviceUser(): Promise<ServiceUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    const f = line?.split(':');
    if (f && f[2] && f[3]) return { name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/**
 * Starts a server in its own process group with stdout/stderr appended to `logFile`, and
 * unrefs it: a controller killed with kill -9 leaves it running for the next one to adopt.
 */
export function spawnDetached(opts: {
  binary: string;
  args: string[];
  cwd: string;
  logFile: string;
  user?: ServiceUser;
  env?: NodeJS.ProcessEnv;
}): ChildProcess {
  const fd = openSync(opts.logFile, 'a', 0o640);
  try {
    const child = spawn(opts.binary, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** True while `pid` exists and is not a zombie (an exited child not yet reaped counts as dead). */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function hasArg(pid: number, marker: string): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    // Exact match: `<data>.clone` (pg_basebackup) or `<data>.init` (initdb) must not count.
    return cmdline.split('\0').includes(marker);
  } catch {
    return false;
  }
}

/** True when `pid` is alive and one of its arguments is `marker` (guards against pid reuse). */
export async function isOurProcess(pid: number | undefined, marker: string): Promise<boolean> {
  if (!pid || !(await isAlive(pid))) return false;
  return hasArg(pid, marker);
}

/**
 * Finds a live process with `marker` among its arguments: a server started by a controller
 * that died before it could record the pid. Undefined when there is none.
 */
export async function findProcessWithArg(marker: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid !== process.pid && (await hasArg(pid, marker)) && (await isAlive(pid))) return pid;
  }
  return undefined;
}

/**
 * Live processes other than this one with an argument inside `dir` (a path below it): the
 * scratch servers a controller killed during a validation left behind. Empty when none.
 */
export async function processesWithArgUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const inside = cmdline.split('\0').some((arg) => arg.startsWith(`${dir}/`));
    if (inside && (await isAlive(Number(entry)))) pids.push(Number(entry));
  }
  return pids;
}

/**
 * Sends `signal`, waits up to `timeoutMs` for the process to go, then SIGKILLs it (and its
 * process group) and waits again. With `resendMs`, the signal is sent again at that interval
 * meanwhile: Redis 7.0 drops a SIGTERM that arrives while it writes its first AOF ("Writing
 * initial AOF, can't exit") and needs another one. Returns at once when it is already gone.
 */
export async function stopProcess(
  clock: Clock,
  pid: number,
  signal: NodeJS.Signals,
  timeoutMs: number,
  opts: { resendMs?: number } = {},
): Promise<void> {
  const gone = async () => ((await isAlive(pid)) ? undefined : true);
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const left = deadline - clock.now();
    if (left <= 0) break;
    try {
      const waitMs = Math.min(left, opts.resendMs ?? left);
      await waitFor(clock, `process ${pid} to exit`, gone, { timeoutMs: waitMs, intervalMs: 50 });
      return;
    } catch {
      // still there: signal again, or fall through to SIGKILL at the deadline
    }
  }
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor(clock, `process ${pid} to exit after SIGKILL`, gone, {
    timeoutMs: 10_000,
    intervalMs: 50,
  });
}
