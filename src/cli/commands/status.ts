import { codes, stalled } from '../../errors.js';
import { toStatusDocument } from '../../reconcile/store.js';
import { readControllerState } from '../controller-state.js';
import { oneOf, parseCommand, runtimeOptions } from '../args.js';
import type { CommandContext } from '../context.js';
import { renderStatus } from '../status-table.js';

export const statusHelp = `Usage: dbops status [DATABASE] [--output table|json] [--state-dir DIR]
       [--runtime kubernetes [--kubeconfig FILE] [--context NAME] [--namespace NS]]

Shows the databases, their members and OpsRequests as the controller last recorded them.
--output json prints the stable document described in the README ("Status JSON").
`;

/** `dbops status`: reads the controller's status file; works while the controller runs. */
export async function statusCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(
    'status',
    argv,
    { output: { type: 'string' }, ...runtimeOptions },
    1,
  );
  const output = oneOf('output', values.output, ['table', 'json'] as const, 'table');
  const state = await readControllerState(values, ctx);
  const doc = toStatusDocument(state);
  const database = positionals[0];
  if (database && !doc.databases.some((d) => d.name === database)) {
    throw stalled(codes.notFound, `no database named ${database}`, {
      hint: `known: ${doc.databases.map((d) => d.name).join(', ') || 'none'}`,
    });
  }
  if (output === 'json') {
    const view = database
      ? {
          ...doc,
          databases: doc.databases.filter((d) => d.name === database),
          opsRequests: doc.opsRequests.filter((o) => o.database === database),
        }
      : doc;
    ctx.stdout.write(JSON.stringify(view, null, 2) + '\n');
  } else {
    ctx.stdout.write(renderStatus(doc, { database }));
  }
  return 0;
}
