/** JSON Schemas of the manifests for editors (`dbops schema`), generated from the zod schemas. */
import * as z from 'zod';
import { kinds } from '../api/schemas/kinds.js';

/** kind -> JSON Schema (draft 2020-12); kinds with several apiVersions get an anyOf of them. */
export function jsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [kind, versions] of Object.entries(kinds)) {
    const list = Object.values(versions);
    const [first, ...rest] = list;
    if (first === undefined) continue;
    const schema = rest.length === 0 ? first : z.union([first, ...rest]);
    out[kind] = {
      ...z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }),
      title: kind,
    };
  }
  return out;
}
