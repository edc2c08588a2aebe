import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One redis-server process started by a test. */
export interface TestRedis {
  name: string;
  host: '127.0.0.1';
  port: number;
  dir: string;
  proc: ChildProcess;
  /** The last few KB the server logged (for failure messages). */
  log: () => string;
}

/** Resolves with a port p such that p and p + 10000 (the cluster bus) are both free now. */
export async function freeClusterPort(): Promise<number> {
  for (;;) {
    const p = await listenFree(0);
    if (p + 10000 < 65536 && (await listenFree(p + 10000).catch(() => 0)) > 0) return p;
  }
}

function listenFree(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** Runs redis-cli with the password in REDISCLI_AUTH (never on the command line). */
export function redisCli(
  args: string[],
  password: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'redis-cli',
      args,
      { env: { ...process.env, REDISCLI_AUTH: password }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A set of redis-server processes for one test file: generated config in a temp dir (cluster
 * mode, password, AOF, fast failover settings), start/stop/kill -9/restart on the same or a
 * new port, and cleanup of processes and files.
 */
export class RedisServers {
  private readonly servers = new Map<string, TestRedis>();
  /** Every process ever spawned, so cleanup kills even those a failed test lost track of. */
  private readonly procs = new Set<ChildProcess>();
  private root: Promise<string> | undefined;

  constructor(
    private readonly opts: { password: string; nodeTimeoutMs?: number; cluster?: boolean },
  ) {}

  /** Starts one server (a fresh data dir the first time, the same dir on later starts). */
  async start(name: string, port?: number): Promise<TestRedis> {
    // One promise, so that servers started in parallel share one temp dir.
    this.root ??= mkdtemp(join(tmpdir(), 'dbops-redis-'));
    const dir = join(await this.root, name);
    await mkdir(dir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      const p = port ?? (await freeClusterPort());
      await writeFile(join(dir, 'redis.conf'), this.config(p, dir));
      try {
        const { proc, log } = await launch(join(dir, 'redis.conf'), dir, this.procs);
        const server: TestRedis = { name, host: '127.0.0.1', port: p, dir, proc, log };
        this.servers.set(name, server);
        return server;
      } catch (err) {
        // Another test may have taken the port between the check and the bind.
        if (port !== undefined || attempt >= 4) throw err;
      }
    }
  }

  /** Starts several servers in parallel. */
  startAll(names: string[]): Promise<TestRedis[]> {
    return Promise.all(names.map((n) => this.start(n)));
  }

  /** The running (or last started) server with that name. */
  get(name: string): TestRedis {
    const s = this.servers.get(name);
    if (!s) throw new Error(`no test redis named ${name}`);
    return s;
  }

  /** Stops a server cleanly (SIGTERM) and waits for it to exit. */
  stop(name: string): Promise<void> {
    return stopProcess(this.get(name).proc, 'SIGTERM');
  }

  /** kill -9, and waits for the exit. */
  kill(name: string): Promise<void> {
    return stopProcess(this.get(name).proc, 'SIGKILL');
  }

  /** Starts a stopped server again with its data and nodes.conf, on the same or a new port. */
  async restart(name: string, opts: { newPort?: boolean } = {}): Promise<TestRedis> {
    const old = this.get(name);
    await stopProcess(old.proc, 'SIGTERM');
    return this.start(name, opts.newPort ? undefined : old.port);
  }

  /** Kills every server and removes the temp dir. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.procs].map((p) => stopProcess(p, 'SIGKILL')));
    this.procs.clear();
    this.servers.clear();
    if (this.root) await rm(await this.root, { recursive: true, force: true, maxRetries: 5 });
    this.root = undefined;
  }

  private config(port: number, dir: string): string {
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'daemonize no',
      'logfile ""',
      'save ""',
      `requirepass ${this.opts.password}`,
      `masterauth ${this.opts.password}`,
      'appendonly yes',
      'repl-diskless-sync-delay 0',
    ];
    if (this.opts.cluster ?? true) {
      lines.push(
        'cluster-enabled yes',
        'cluster-config-file nodes.conf',
        `cluster-node-timeout ${this.opts.nodeTimeoutMs ?? 1000}`,
        'cluster-replica-validity-factor 0',
        'cluster-announce-ip 127.0.0.1',
      );
    }
    return lines.join('\n') + '\n';
  }
}

/** Spawns redis-server and resolves once it accepts connections; rejects when it exits first. */
function launch(
  conf: string,
  cwd: string,
  procs: Set<ChildProcess>,
): Promise<{ proc: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/redis-server', [conf], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.add(proc);
    let out = '';
    let ready = false;
    // Keeps reading for the process's whole life: a full pipe would block the server.
    const onData = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-8000);
      if (!ready && out.includes('Ready to accept connections')) {
        ready = true;
        proc.off('exit', onExit);
        resolve({ proc, log: () => out });
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`));
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', onExit);
  });
}

function stopProcess(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // Redis 7.0 refuses SIGTERM while it writes its first AOF ("can't exit"): ask again,
    // and after 10 s kill it.
    let tries = 0;
    const timer = setInterval(() => {
      tries += 1;
      proc.kill(tries >= 20 ? 'SIGKILL' : signal);
    }, 500);
    proc.once('exit', () => {
      clearInterval(timer);
      resolve();
    });
    proc.kill(signal);
  });
}
