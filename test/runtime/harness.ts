import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../../src/runtime/runtime.js';
import { processesMentioning, processesMentioningAll, releaseLoops } from './helpers.js';

/**
 * What the runtime contract suites need from the place a runtime runs, besides the Runtime
 * itself: the crashes and the looks behind its back that only a test does. Each runtime's
 * test file provides one (local: processes, a state dir; Kubernetes: pods, a namespace).
 */
export interface ContractHarness {
  runtime: Runtime;
  /** Ends a running instance abruptly, as a crash would (local: SIGKILL of the process). */
  kill(instance: string): Promise<void>;
  /** True when the instance no longer exists anywhere. */
  gone(instance: string): Promise<boolean>;
  /** Every instance the harness's databases run now, sorted (nothing else of theirs runs). */
  instances(): Promise<string[]>;
  /** What a configuration check left behind (scratch servers, their files): none, always. */
  leftovers(): Promise<string[]>;
  /** Closes the runtime without stopping members and opens a new one on the same state. */
  reopen(): Promise<Runtime>;
  /** Stops and removes everything, even after a failed test. */
  cleanup(): Promise<void>;
}

/** A harness per suite; `name` and `skip` (test name -> why) label and skip tests. */
export interface RuntimeContractOptions {
  name: string;
  make: () => Promise<ContractHarness>;
  skip?: Record<string, string>;
}

/** The local runtime's harness: a fresh state dir, processes found by their command lines. */
export async function localHarness<R extends Runtime>(
  make: (stateDir: string) => Promise<R>,
): Promise<ContractHarness & { runtime: R }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'dbops-rt-'));
  // Postgres runs as an unprivileged user, which must be able to reach the state dir.
  await chmod(stateDir, 0o755);
  let runtime = await make(stateDir);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const h: ContractHarness & { runtime: R } = {
    runtime,
    kill: (instance) => Promise.resolve(void process.kill(Number(instance), 'SIGKILL')),
    gone: (instance) => Promise.resolve(!alive(Number(instance))),
    instances: async () => (await processesMentioning(stateDir)).map(String).sort(),
    async leftovers() {
      // Scratch servers live under .scratch; `postgres -C` runs on the primary's data dir.
      const scratch = join(stateDir, 'runtime', '.scratch');
      const procs = [
        ...(await processesMentioning(scratch)),
        ...(await processesMentioningAll([stateDir, '\0-C\0'])),
      ].map((pid) => `process ${pid}`);
      const files = (await readdir(scratch).catch(() => [])).map((f) => `${scratch}/${f}`);
      return [...procs, ...files];
    },
    async reopen() {
      await runtime.close({ stopMembers: false });
      runtime = await make(stateDir);
      h.runtime = runtime;
      return runtime;
    },
    async cleanup() {
      await runtime.close({ stopMembers: true });
      // Safety net: nothing a suite started may outlive it, even after a failed test.
      for (const pid of await processesMentioning(stateDir)) process.kill(pid, 'SIGKILL');
      await releaseLoops(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return h;
}
