/** Helpers for storage autoscaler tests: manifests, filling volumes, remote history, pushers. */
import { Redis } from 'ioredis';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { StatusDocument } from '../../src/api/status.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
import { exited } from './crash-runner.js';
import { git } from './git-work.js';
import type { Runtime } from '../../src/runtime/runtime.js';

/** A storage autoscaler manifest for `database`. */
export function autoscaler(kind: 'Redis' | 'Postgres', database: string, storage: string): string {
  const section = kind === 'Redis' ? 'standalone' : 'postgres';
  return `apiVersion: autoscaling.kubedb.com/v1alpha1
kind: ${kind}Autoscaler
metadata:
  name: ${database}-storage
spec:
  databaseRef:
    name: ${database}
  storage:
    ${section}:
${storage
  .split('\n')
  .filter(Boolean)
  .map((l) => `      ${l}`)
  .join('\n')}
  opsRequestOptions:
    timeout: 5m
    apply: IfReady
`;
}

/** The fullest member's used share, as the runtime measures it (0-100). */
export async function usedPercent(rt: Runtime, database: string): Promise<number> {
  const vols = await rt.volumeUsage(database);
  return Math.max(...vols.map((v) => (v.volume.usedBytes * 100) / v.volume.capacityBytes));
}

export async function redisClient(rt: Runtime, name: string) {
  const creds = await rt.credentials(name);
  const m = (await rt.observe(name))!.members[0]!;
  const client = new Redis({ ...m.endpoint, password: creds!.password, lazyConnect: true });
  await client.connect();
  return client;
}

export async function pgClient(rt: Runtime, name: string, role: 'primary' | 'standby' = 'primary') {
  const creds = await rt.credentials(name);
  const m = (await rt.observe(name))!.members.find((x) => x.role === role)!;
  const client = new pg.Client({
    ...m.endpoint,
    user: creds!.username,
    password: creds!.password,
    database: 'postgres',
  });
  // A failed query rejects on its own; this only keeps a connection the server ends while the
  // client is idle (the database stopped after a failed test) from crashing the run.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Writes 1 MiB chunks through `write` until the database's fullest volume is above `pct`. */
export async function fillPast(
  rt: Runtime,
  database: string,
  pct: number,
  write: (i: number) => Promise<unknown>,
) {
  let i = 0;
  await waitFor(
    systemClock,
    `${database} above ${pct}% used`,
    async () => {
      if ((await usedPercent(rt, database)) > pct + 3) return true;
      for (let n = 0; n < 8; n++) await write(i++);
      return undefined;
    },
    { timeoutMs: 120_000, intervalMs: 50 },
  );
  return i;
}

const pushersMain = fileURLToPath(new URL('../fixtures/pushers-main.ts', import.meta.url));

export const autoscalerOp = (s: StatusDocument, database: string) => {
  const file = s.autoscalers.find((a) => a.database === database)?.lastDecision?.file;
  return file ? s.opsRequests.find((o) => o.file === file) : undefined;
};

/**
 * Clients committing and pushing to `main` with plain git in a loop, each rebasing and pushing
 * again when it loses the race, until stopped. `thinkMs` is the pause between one client's
 * commits (a person or a CI job does some work between pushes); [0, 0] pushes back to back.
 * They run in a process of their own (test/fixtures/pushers-main.ts), as other machines would.
 */
export function startPushers(
  url: string,
  root: string,
  opts: { count?: number; thinkMs?: [number, number] } = {},
) {
  const [minThink, maxThink] = opts.thinkMs ?? [0, 0];
  const args = [url, root, String(opts.count ?? 10), String(minThink), String(maxThink)];
  const child = spawn(process.execPath, ['--import', 'tsx', pushersMain, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pushed: string[] = [];
  let stopped = false;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line.startsWith('pushed ')) pushed.push(line.slice('pushed '.length));
    else if (line === 'stopped') stopped = true;
  });
  const ended = new Promise<void>((resolve) => lines.once('close', resolve));
  return {
    pushed,
    /** Lets every client finish the push it is in, then resolves. */
    async stop() {
      child.kill('SIGTERM');
      await Promise.all([ended, exited(child)]);
      if (!stopped) throw new Error(`the pushers ended with ${child.exitCode ?? child.signalCode}`);
    },
  };
}

export interface LoggedCommit {
  sha: string;
  author: string;
  subject: string;
  trailers: Record<string, string>;
  files: string[];
}

/** The remote branch's history, newest first, read with plain git. */
export async function remoteLog(url: string, root: string): Promise<LoggedCommit[]> {
  const dir = await mkdtemp(join(root, 'log-'));
  try {
    await git(root, 'clone', '--quiet', '--bare', url, dir);
    const out = await git(
      dir,
      'log',
      '--format=%x1e%H%x1f%an <%ae>%x1f%s%x1f%(trailers:only,unfold)%x1f',
      '--name-only',
      'main',
    );
    return out
      .split('\x1e')
      .filter(Boolean)
      .map((rec) => {
        const [sha, author, subject, trailers, files] = rec.split('\x1f');
        return {
          sha: sha!,
          author: author!,
          subject: subject!,
          trailers: Object.fromEntries(
            trailers!
              .split('\n')
              .filter((l) => l.includes(': '))
              .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
          ),
          files: files!.split('\n').filter(Boolean),
        };
      });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
