import { DbopsError, codes, formatError } from '../errors.js';
import type { CommandContext } from './context.js';

const usage = `dbops: a GitOps reconciler for Redis and Postgres

Usage: dbops <command> [options]

Commands:
  run          run the controller against a Git repository
  status       show databases, members and OpsRequests
  validate     validate the manifests of a directory
  plan         the operational plan of a change between two revisions, with policy verdicts
  schema       print JSON Schemas of the manifest kinds
  credentials  print the connection URL of a database
  ops list     list operations (OpsRequests and spec changes) with phases and steps
  ops new      write a new OpsRequest file (VolumeExpansion, Reconfigure, Restart)
  doctor       check prerequisites and say what to install
  down         stop every database of a state dir and release its volumes (--wipe: delete it)
  demo         serve examples-repo over HTTP and reconcile it (npm start)

Every command takes --state-dir DIR (or DBOPS_STATE_DIR; default .dbops).
Run 'dbops <command> --help' for a command's options.
`;

/** A command module: its runner and its --help text. Loaded on demand, so `dbops validate`
 * does not load the runtime and database clients. */
type Command = {
  run: (argv: string[], ctx: CommandContext) => Promise<number> | number;
  help: string;
};

const commands: Record<string, () => Promise<Command>> = {
  run: async () => {
    const m = await import('./commands/run.js');
    return { run: m.runCommand, help: m.runHelp };
  },
  status: async () => {
    const m = await import('./commands/status.js');
    return { run: m.statusCommand, help: m.statusHelp };
  },
  validate: async () => {
    const m = await import('./commands/validate.js');
    return { run: m.validateCommand, help: m.validateHelp };
  },
  plan: async () => {
    const m = await import('./commands/plan.js');
    return { run: m.planCommand, help: m.planHelp };
  },
  schema: async () => {
    const m = await import('./commands/schema.js');
    return { run: m.schemaCommand, help: m.schemaHelp };
  },
  credentials: async () => {
    const m = await import('./commands/credentials.js');
    return { run: m.credentialsCommand, help: m.credentialsHelp };
  },
  doctor: async () => {
    const m = await import('./commands/doctor.js');
    return { run: m.doctorCommand, help: m.doctorHelp };
  },
  ops: async () => {
    const m = await import('./commands/ops.js');
    return { run: m.opsCommand, help: m.opsHelp };
  },
  down: async () => {
    const m = await import('./commands/down.js');
    return { run: m.downCommand, help: m.downHelp };
  },
  demo: async () => {
    const m = await import('./commands/demo.js');
    return { run: m.demoCommand, help: m.demoHelp };
  },
};

/** Exit codes: 0 ok, 1 failed or invalid, 2 usage, 3 prerequisite missing, 4 not found. */
export function exitCodeOf(err: unknown): number {
  if (!(err instanceof DbopsError)) return 1;
  switch (err.code) {
    case codes.usage:
      return 2;
    case codes.prerequisite:
      return 3;
    case codes.notFound:
      return 4;
    default:
      return 1;
  }
}

/** The CLI: argv -> command; the only place that maps errors to exit codes. */
export async function main(argv: string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    ctx.stdout.write(usage);
    return name ? 0 : 2;
  }
  if (name === 'version' || name === '--version') {
    ctx.stdout.write('dbops 0.1.0\n');
    return 0;
  }
  const load = commands[name];
  if (!load) {
    ctx.stderr.write(`dbops: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    ctx.stderr.write(`dbops ${name}: ${formatError(err)}\n`);
    if (!(err instanceof DbopsError)) {
      ctx.stderr.write(
        `(unexpected error, please report it: ${(err as Error).stack ?? String(err)})\n`,
      );
    }
    return exitCodeOf(err);
  }
}
