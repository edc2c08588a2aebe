/** Helpers for storage autoscaler tests: manifests, filling volumes, remote history, pushers. */
import { Redis } from 'ioredis';
import pg from 'pg';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatusDocument } from '../../src/api/status.js';
import { systemClock, waitFor } from '../../src/platform/clock.js';
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

export async function pgClient(rt: Runtime, name: string) {
  const creds = await rt.credentials(name);
  const m = (await rt.observe(name))!.members.find((x) => x.role === 'primary')!;
  const client = new pg.Client({
    ...m.endpoint,
    user: creds!.username,
    password: creds!.password,
    database: 'postgres',
  });
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

export const autoscalerOp = (s: StatusDocument, database: string) => {
  const file = s.autoscalers.find((a) => a.database === database)?.lastDecision?.file;
  return file ? s.opsRequests.find((o) => o.file === file) : undefined;
};

/**
 * Clients committing and pushing to `main` with plain git in a loop, each rebasing and pushing
 * again when it loses the race, until stopped. `thinkMs` is the pause between one client's
 * commits (a person or a CI job does some work between pushes); [0, 0] pushes back to back.
 */
export function startPushers(
  url: string,
  root: string,
  opts: { count?: number; thinkMs?: [number, number] } = {},
) {
  const [minThink, maxThink] = opts.thinkMs ?? [0, 0];
  let stop = false;
  const pushed: string[] = [];
  const one = async (id: number) => {
    const dir = join(root, `pusher-${id}`);
    await git(root, 'clone', '--quiet', url, dir);
    await mkdir(join(dir, 'chatter'), { recursive: true });
    for (let n = 0; !stop; n++) {
      const file = `chatter/p${id}-${n}.txt`;
      await writeFile(join(dir, file), `${id} ${n}\n`);
      await git(dir, 'add', file);
      await git(dir, 'commit', '--quiet', '-m', `chatter ${id}/${n}`);
      for (;;) {
        try {
          await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
          pushed.push(file);
          break;
        } catch {
          // Lost the race: take the new head and try again (a failed pull is retried too).
          await git(dir, 'pull', '--quiet', '--rebase', 'origin', 'main').catch(() => undefined);
        }
      }
      const think = minThink + Math.random() * (maxThink - minThink);
      if (think > 0 && !stop) await systemClock.sleep(think);
    }
  };
  const running = Promise.all(Array.from({ length: opts.count ?? 10 }, (_, i) => one(i)));
  return {
    pushed,
    /** Lets every client finish the push it is in, then resolves. */
    async stop() {
      stop = true;
      await running;
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
