import type { StatusDocument } from '../../src/api/status.js';
import type { GitServer } from '../../src/http/git-server.js';
import { assemble, type RunConfig, type Assembly } from '../../src/main.js';
import { systemClock, waitFor, type Clock } from '../../src/platform/clock.js';
import { silentLogger, type Logger } from '../../src/platform/logger.js';
import { startGitFixture } from './git-fixture.js';

/** A real Git server with one repository, and a controller on a temp state dir. */
export interface TestEnv {
  root: string;
  /** The served bare repository. */
  bareDir: string;
  stateDir: string;
  server: GitServer;
  url: string;
  app: Assembly;
  /** One fetch + plan round, then waits until every database worker is idle. */
  converge(): Promise<StatusDocument>;
  /** Converges until `check` passes (databases that heal over a few rounds). */
  until(
    what: string,
    check: (s: StatusDocument) => boolean,
    timeoutMs?: number,
  ): Promise<StatusDocument>;
  close(): Promise<void>;
}

/** Starts a Git server seeded with `files` and a controller following it. */
export async function startEnv(
  files: Record<string, string>,
  opts: {
    volumes?: 'loop' | 'directory';
    serverProcess?: boolean;
    denyNonFastForwards?: boolean;
    /** More `dbops run` settings (the autoscaler's, trust). */
    config?: Partial<RunConfig>;
    /** The controller's logger (tests that read logs); else DBOPS_TEST_LOG or silent. */
    log?: Logger;
    /** The controller's clock (tests of change windows); else the system clock. */
    clock?: Clock;
  } = {},
): Promise<TestEnv> {
  const fx = await startGitFixture('e2e', files, {
    serverProcess: opts.serverProcess ?? false,
    denyNonFastForwards: opts.denyNonFastForwards ?? false,
  });
  const { root, server, url, stateDir } = fx;
  const app = await assemble(
    {
      repo: url,
      stateDir,
      intervalMs: 60_000,
      runtime: 'local',
      redisClusterNodeTimeoutMs: 1000,
      volumes: opts.volumes ?? 'directory',
      ...opts.config,
    },
    opts.log ??
      (process.env.DBOPS_TEST_LOG
        ? (await import('../../src/platform/logger.js')).createLogger({
            level: 'debug',
            pretty: false,
            destination: (await import('node:fs')).createWriteStream(process.env.DBOPS_TEST_LOG),
          })
        : silentLogger()),
    {},
    opts.clock ?? systemClock,
  );
  const converge = async () => {
    await app.controller.round({ fetch: true });
    await app.controller.idle();
    return app.controller.status();
  };
  return {
    root,
    bareDir: fx.bareDir,
    stateDir,
    server,
    url,
    app,
    converge,
    until: (what, check, timeoutMs = 90_000) =>
      waitFor(
        systemClock,
        what,
        async () => {
          const s = await converge();
          return check(s) ? s : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      ),
    async close() {
      await app.close({ stopMembers: true });
      await fx.cleanup();
    },
  };
}

/** The status of one database, or a failed expectation that names what is there. */
export function db(status: StatusDocument, name: string) {
  const d = status.databases.find((x) => x.name === name);
  if (!d)
    throw new Error(
      `no database ${name} in status: ${status.databases.map((x) => x.name).join(', ')}`,
    );
  return d;
}
