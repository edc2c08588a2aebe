import { isDnsLabel } from '../../api/names.js';
import { codes, stalled } from '../../errors.js';
import { parseCommand, runtimeOptions } from '../args.js';
import { controllerRecords } from '../controller-state.js';
import type { CommandContext } from '../context.js';

export const credentialsHelp = `Usage: dbops credentials DATABASE [--member NAME] [--state-dir DIR]
       [--runtime kubernetes [--kubeconfig FILE] [--context NAME] [--namespace NS]]

Prints a connection URL with the generated password (redis://... or postgresql://...).
Without --member it points at the Redis master (the first shard's for a cluster: connect
with redis-cli -c) or the Postgres primary. This is the only command that shows a password.
`;

/** `dbops credentials`: the one place a password is shown, on stdout, on request. */
export async function credentialsCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(
    'credentials',
    argv,
    { member: { type: 'string' }, ...runtimeOptions },
    1,
  );
  const name = positionals[0];
  if (!name || !isDnsLabel(name)) {
    throw stalled(codes.usage, name ? `'${name}' is not a database name` : 'which database?', {
      hint: 'usage: dbops credentials DATABASE (see dbops status for the names)',
    });
  }
  const records = controllerRecords(values, ctx);
  const state = await records.store.load();
  const db = state?.databases[name];
  const creds = await records.credentials(name);
  if (!db || !creds) {
    const where = records.location;
    throw stalled(codes.notFound, `no credentials for a database named ${name} in ${where}`, {
      hint: 'credentials are generated when the controller first provisions the database; check dbops status',
    });
  }
  const member = values.member
    ? db.members.find((m) => m.name === values.member)
    : (db.members.find((m) => m.role === 'master' || m.role === 'primary') ?? db.members[0]);
  if (!member) {
    throw stalled(codes.notFound, `database ${name} has no member ${values.member ?? ''}`.trim(), {
      hint: `members: ${db.members.map((m) => m.name).join(', ') || 'none yet'}`,
    });
  }
  const user = encodeURIComponent(creds.username);
  const pass = encodeURIComponent(creds.password);
  const url =
    db.kind === 'Redis'
      ? `redis://${user}:${pass}@${member.endpoint}/0`
      : `postgresql://${user}:${pass}@${member.endpoint}/postgres`;
  ctx.stdout.write(url + '\n');
  return 0;
}
