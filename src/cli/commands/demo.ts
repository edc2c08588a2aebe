import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBareRepo } from '../../http/git-seed.js';
import { startGitServer, type GitServer } from '../../http/git-server.js';
import { assemble } from '../../main.js';
import { readJson, writeJsonAtomic } from '../../platform/files.js';
import { createLogger } from '../../platform/logger.js';
import { parseCommand, stateDirOf } from '../args.js';
import type { CommandContext } from '../context.js';
import { renderStatus } from '../status-table.js';
import { listenForStop } from '../stop-signals.js';
import { doctorChecks } from './doctor.js';

export const demoHelp = `Usage: dbops demo [--state-dir DIR] [--port N]   (what npm start runs)

Turns examples-repo/ into a Git repository under the state dir (once), serves it over smart
HTTP on 127.0.0.1, and runs the controller against that URL with the local runtime, with a
live status table. Push a change to the repository and watch it take effect. Ctrl-C stops
the controller and the databases and unmounts their volumes, and so do SIGTERM, SIGHUP (the
terminal closed) and the end of a pipe (npm start | tee log); the next start resumes with
the data kept.
`;

const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function serve(
  root: string,
  stateDir: string,
  wanted: number | undefined,
): Promise<GitServer> {
  const file = join(stateDir, 'demo.json');
  const saved = await readJson<{ port: number }>(file);
  const port = wanted ?? saved?.port;
  let server: GitServer;
  try {
    server = await startGitServer({ root, port: port ?? 0 });
  } catch (err) {
    if (wanted !== undefined) throw err;
    server = await startGitServer({ root, port: 0 }); // the saved port is taken: use another
  }
  await writeJsonAtomic(file, { port: server.port });
  return server;
}

function instructions(url: string, stateDir: string): string {
  const sd = stateDir === resolve('.dbops') ? '' : ` --state-dir ${stateDir}`;
  return `
Try a change with plain git (in another terminal):
  git clone ${url} /tmp/dbops-demo && cd /tmp/dbops-demo
  sed -i 's/maxmemory 64mb/maxmemory 128mb/' databases/session.yaml   # a Reconfigure, live
  git commit -am "session: maxmemory 128mb" && git push
  git revert --no-edit HEAD && git push                               # rollback
  git fetch origin refs/notes/dbops:refs/notes/dbops && git log --notes=dbops   # the audit
Inspect and connect (from this directory):
  node dist/cli/bin.js ops list${sd}
  node dist/cli/bin.js credentials session${sd}     # prints a redis:// URL
  node dist/cli/bin.js credentials orders${sd}      # prints a postgresql:// URL for psql
  REDISCLI_AUTH=<password of cache> redis-cli --cluster check <a cache endpoint>
  node dist/cli/bin.js status --output json${sd}
Logs: ${join(stateDir, 'controller.log')}    Ctrl-C stops everything (data is kept).
`;
}

/** `dbops demo`: the quick start. */
export async function demoCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommand(
    'demo',
    argv,
    { port: { type: 'string' }, 'no-tty': { type: 'boolean' } },
    0,
  );
  const stateDir = resolve(ctx.cwd, stateDirOf(values['state-dir'], ctx.env));
  const checks = await doctorChecks(ctx, stateDir);
  const missing = checks.filter((c) => c.required && !c.ok);
  if (missing.length > 0) {
    for (const c of missing) ctx.stderr.write(`missing ${c.name}: ${c.detail}\n`);
    return 3;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    ctx.stderr.write(`dbops demo: --port '${values.port}' is not a port number (1-65535)\n`);
    return 2;
  }
  const gitRoot = join(stateDir, 'git');
  const seeded = await initBareRepo({
    root: gitRoot,
    name: 'examples',
    fromDir: join(packageRoot, 'examples-repo'),
  });
  const server = await serve(gitRoot, stateDir, port);
  const url = server.url('examples');
  const tty = Boolean((ctx.stdout as NodeJS.WriteStream).isTTY) && !values['no-tty'];
  const logStream = createWriteStream(join(stateDir, 'controller.log'), { flags: 'a' });
  const log = createLogger({
    level: values['log-level'] ?? ctx.env.DBOPS_LOG_LEVEL ?? 'info',
    destination: tty ? logStream : ctx.stderr,
  });
  ctx.stdout.write(
    `${seeded.created ? 'Created' : 'Reusing'} the demo repository ${seeded.bareDir}\nServing it at ${url}\n`,
  );
  const app = await assemble(
    { repo: url, stateDir, intervalMs: 3000, runtime: 'local' },
    log,
    ctx.env,
  );
  const stop = listenForStop(
    { signals: process, outputs: { stdout: ctx.stdout, stderr: ctx.stderr } },
    (reason, first) => {
      log.info(`${reason}: ${first ? 'stopping' : 'already stopping'}`);
      if (!first) ctx.stderr.write('Still stopping the databases, please wait...\n');
    },
  );

  let last = '';
  const draw = () => {
    const text = renderStatus(app.controller.status());
    if (tty) ctx.stdout.write(`\x1b[H\x1b[2J${text}${instructions(url, stateDir)}`);
    else if (text !== last) ctx.stdout.write(`${text}\n`);
    last = text;
  };
  if (!tty) ctx.stdout.write(instructions(url, stateDir));
  const timer = setInterval(draw, 1000);
  try {
    await app.run(stop.signal);
  } finally {
    clearInterval(timer);
    ctx.stdout.write('\nStopping the controller and the databases (data is kept)...\n');
    try {
      await app.close({ stopMembers: true });
    } finally {
      await server.close();
      logStream.end();
      stop.dispose();
    }
  }
  ctx.stdout.write('Stopped. Run npm start again to resume.\n');
  return 0;
}
