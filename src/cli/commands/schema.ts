import { codes, stalled } from '../../errors.js';
import { jsonSchemas } from '../../manifests/json-schema.js';
import { parseCommand } from '../args.js';
import type { CommandContext } from '../context.js';

export const schemaHelp = `Usage: dbops schema [KIND]

Prints the JSON Schema of every manifest kind (or of KIND), generated from the same
schemas the controller validates with. Point your editor's YAML language server at it.
`;

/** `dbops schema`: JSON Schemas for editors. */
export function schemaCommand(argv: string[], ctx: CommandContext): number {
  const { positionals } = parseCommand('schema', argv, {}, 1);
  const all = jsonSchemas();
  const kind = positionals[0];
  if (kind && !(kind in all)) {
    throw stalled(codes.unknownKind, `no schema for kind ${kind}`, {
      hint: `kinds: ${Object.keys(all).join(', ')}`,
    });
  }
  ctx.stdout.write(JSON.stringify(kind ? all[kind] : all, null, 2) + '\n');
  return 0;
}
