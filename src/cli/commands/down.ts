import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { codes, formatError, isCode, stalled } from '../../errors.js';
import { memberProber } from '../../main.js';
import { systemClock } from '../../platform/clock.js';
import { pathExists } from '../../platform/files.js';
import { createLogger } from '../../platform/logger.js';
import { lockStateDir } from '../../reconcile/state-lock.js';
import { mountsUnder, releaseLeftovers } from '../../runtime/local/leftovers.js';
import { createLocalRuntime } from '../../runtime/local/local-runtime.js';
import { parseCommand, stateDirOf } from '../args.js';
import type { CommandContext } from '../context.js';

export const downHelp = `Usage: dbops down [--state-dir DIR] [--wipe] [--yes]

Stops every database member of a state dir of the local runtime, also the members a
killed controller left running, unmounts their loop volumes and detaches the loop devices.
Data, credentials and status are kept: the next dbops run or npm start resumes them.
Refused while a controller runs on the state dir: stop that first.

Options:
  --wipe   then delete the state dir: every database's data and credentials, the status,
           the demo's repository. Asks for confirmation on a terminal.
  --yes    delete without asking (scripts); --wipe needs it when stdin is not a terminal
`;

// What any state dir has once a controller ran on it (controller.lock is ours by now).
const MARKERS = ['runtime', 'status.json', 'cache', 'demo.json'];

// The state lock refuses while a controller runs; its hint is for a second controller.
async function lockForDown(stateDir: string): Promise<() => Promise<void>> {
  try {
    return await lockStateDir(stateDir);
  } catch (err) {
    if (!isCode(err, codes.stateLocked)) throw err;
    throw stalled(codes.stateLocked, (err as Error).message, {
      cause: err,
      hint: 'stop that controller first (Ctrl-C in its terminal, or kill its pid), then run dbops down again',
    });
  }
}

async function assertStateDir(stateDir: string): Promise<void> {
  for (const m of MARKERS) if (await pathExists(join(stateDir, m))) return;
  throw stalled(codes.usage, `${stateDir} does not look like a dbops state dir`, {
    hint: `it has none of ${MARKERS.join(', ')}: not deleting it; check --state-dir`,
  });
}

// Asks on the terminal; Ctrl-C or end of input is a no.
async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (!ctx.stdin) return false;
  const rl = createInterface({ input: ctx.stdin, output: ctx.stdout });
  const abort = new AbortController();
  rl.once('SIGINT', () => abort.abort());
  rl.once('close', () => abort.abort());
  try {
    const answer = await rl.question(question, { signal: abort.signal });
    return answer.trim().toLowerCase() === 'yes';
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

const loopMounts = async (dir: string) =>
  (await mountsUnder(dir)).filter((m) => m.source.startsWith('/dev/loop'));

/**
 * Stops every member through the local runtime (which releases their volumes), then what a
 * killed controller may have left besides. Returns the problems met, empty when none.
 */
async function stopAll(stateDir: string, ctx: CommandContext, level: string): Promise<string[]> {
  const problems: string[] = [];
  const mountedBefore = (await loopMounts(stateDir)).length;
  if (await pathExists(join(stateDir, 'runtime'))) {
    const log = createLogger({ level });
    const runtime = await createLocalRuntime({
      stateDir,
      clock: systemClock,
      log,
      prober: memberProber,
      volumes: 'directory',
    });
    const databases = await runtime.list();
    let running = 0;
    for (const db of databases) {
      running += (await runtime.observe(db))?.members.filter((m) => m.instance).length ?? 0;
    }
    const names = databases.length > 0 ? ` (${databases.join(', ')})` : '';
    ctx.stdout.write(`Stopping ${running} member(s) of ${databases.length} database(s)${names}\n`);
    await runtime.close({ stopMembers: true }).catch((err) => problems.push(formatError(err)));
  }
  try {
    const left = await releaseLeftovers(stateDir, systemClock);
    if (left.processes.length > 0) {
      ctx.stdout.write(`Stopped ${left.processes.length} scratch server(s) left behind\n`);
    }
  } catch (err) {
    problems.push(formatError(err));
  }
  const still = await loopMounts(stateDir);
  ctx.stdout.write(`Unmounted ${mountedBefore - still.length} loop volume(s)\n`);
  for (const m of still) problems.push(`${m.mountPoint} is still mounted (${m.source})`);
  return problems;
}

/** `dbops down`: stops a local state dir's databases and releases its volumes; --wipe deletes it. */
export async function downCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommand(
    'down',
    argv,
    { wipe: { type: 'boolean' }, yes: { type: 'boolean' } },
    0,
  );
  const stateDir = resolve(ctx.cwd, stateDirOf(values['state-dir'], ctx.env));
  const ask = Boolean(values.wipe) && !values.yes;
  if (ask && !ctx.stdin?.isTTY) {
    throw stalled(
      codes.usage,
      `--wipe deletes ${stateDir} with all its data, and stdin is not a terminal to confirm that on`,
      { hint: 'add --yes to confirm: dbops down --wipe --yes' },
    );
  }
  const dir = await stat(stateDir).catch(() => undefined);
  if (!dir?.isDirectory()) {
    ctx.stdout.write(`Nothing to do: ${stateDir} does not exist\n`);
    return 0;
  }
  const unlock = await lockForDown(stateDir);
  try {
    if (values.wipe) await assertStateDir(stateDir);
    const question = `Delete ${stateDir} with every database's data and credentials? Type yes to confirm: `;
    if (ask && !(await confirm(ctx, question))) {
      ctx.stdout.write('Not confirmed: nothing was stopped or deleted\n');
      return 1;
    }
    const level = values['log-level'] ?? ctx.env.DBOPS_LOG_LEVEL ?? 'warn';
    const problems = await stopAll(stateDir, ctx, level);
    if (problems.length > 0) {
      for (const p of problems) ctx.stderr.write(`dbops down: ${p}\n`);
      const kept = values.wipe ? `: ${stateDir} was not deleted` : '';
      ctx.stderr.write(
        `dbops down: not everything was released${kept}; fix that and run it again\n`,
      );
      return 1;
    }
    if (!values.wipe) {
      ctx.stdout.write(`Data kept in ${stateDir}: dbops run or npm start resumes it\n`);
      return 0;
    }
    // Only loop mounts are ours to release; anything else mounted inside must stop the delete.
    const mounted = await mountsUnder(stateDir);
    if (mounted.length > 0) {
      const list = mounted.map((m) => m.mountPoint).join(', ');
      throw stalled(codes.stateCorrupt, `not deleting ${stateDir}: ${list} mounted inside`, {
        hint: 'unmount them, then run dbops down --wipe again',
      });
    }
    await rm(stateDir, { recursive: true, force: true });
    ctx.stdout.write(`Deleted ${stateDir}\n`);
    return 0;
  } finally {
    await unlock();
  }
}
