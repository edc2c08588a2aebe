import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The import rules of eslint.config.js on made-up files: each must fire on a violation and
// stay quiet on the allowed import next to it. Only no-restricted-imports runs, without type
// information, so that the files need not exist.
const eslint = new ESLint({
  cwd: fileURLToPath(new URL('../..', import.meta.url)),
  overrideConfig: tseslint.configs.disableTypeChecked,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const refused = [
  // One folder per client, subpaths included.
  { file: 'src/runtime/local/x.ts', code: "import { Redis } from 'ioredis';" },
  { file: 'src/runtime/local/x.ts', code: "import u from 'ioredis/built/utils/index.js';" },
  { file: 'src/cli/x.ts', code: "import pg from 'pg';" },
  { file: 'src/db/redis/x.ts', code: "import Client from 'pg/lib/client.js';" },
  { file: 'src/db/postgres/x.ts', code: "import { Redis } from 'ioredis';" },
  { file: 'src/http/x.ts', code: "import http from 'isomorphic-git/http/node';" },
  { file: 'src/source/x.ts', code: "import * as k from '@kubernetes/client-node';" },
  { file: 'src/reconcile/x.ts', code: "import git from 'isomorphic-git';" },
  { file: 'src/reconcile/x.ts', code: "import { Histogram } from 'prom-client';" },
  { file: 'src/main.ts', code: "import { Registry } from 'prom-client';" },
  // Pure folders: no I/O folder (type imports and re-exports too), no I/O module, no logger.
  { file: 'src/plan/x.ts', code: "import type { Runtime } from '../runtime/runtime.js';" },
  { file: 'src/plan/x.ts', code: "export { Engine } from '../execute/engine.js';" },
  { file: 'src/manifests/x.ts', code: "import type { Source } from '../source/source.js';" },
  { file: 'src/manifests/x.ts', code: "import { readFile } from 'node:fs/promises';" },
  { file: 'src/manifests/x.ts', code: "import { readFileSync } from 'fs';" },
  { file: 'src/api/x.ts', code: "import { spawn } from 'node:child_process';" },
  { file: 'src/api/x.ts', code: "import { connect } from 'node:net';" },
  {
    file: 'src/api/schemas/x.ts',
    code: "import { withRedis } from '../../db/redis/connection.js';",
  },
  { file: 'src/api/x.ts', code: "import type { Clock } from '../platform/clock.js';" },
  { file: 'src/plan/x.ts', code: "import { handler } from '../http/handler.js';" },
  { file: 'src/plan/x.ts', code: "import { step } from '../reconcile/steps.js';" },
  { file: 'src/plan/x.ts', code: "import { assemble } from '../main.js';" },
  { file: 'src/plan/x.ts', code: "import { run } from '../cli/main-cli.js';" },
  { file: 'src/plan/x.ts', code: "import pino from 'pino';" },
  {
    file: 'src/plan/x.ts',
    code: "import { StorageAutoscaler } from '../autoscale/autoscaler.js';",
  },
  { file: 'src/plan/x.ts', code: "import { Redis } from 'ioredis';" },
  { file: 'src/autoscale/decide.ts', code: "import { record } from './record.js';" },
  {
    file: 'src/autoscale/decide.ts',
    code: "import type { Runtime } from '../runtime/runtime.js';",
  },
];

const allowed = [
  { file: 'src/db/redis/x.ts', code: "import { Redis } from 'ioredis';" },
  { file: 'src/db/postgres/x.ts', code: "import Client from 'pg/lib/client.js';" },
  { file: 'src/source/x.ts', code: "import http from 'isomorphic-git/http/node';" },
  { file: 'src/runtime/kubernetes/x.ts', code: "import * as k from '@kubernetes/client-node';" },
  { file: 'src/http/x.ts', code: "import { Registry } from 'prom-client';" },
  { file: 'src/runtime/local/x.ts', code: "import { connect } from 'node:net';" },
  { file: 'src/reconcile/x.ts', code: "import type { Source } from '../source/source.js';" },
  { file: 'src/autoscale/autoscaler.ts', code: "import { decide } from './decide.js';" },
  { file: 'src/plan/x.ts', code: "import type { DatabaseSpec } from '../api/desired.js';" },
  { file: 'src/plan/x.ts', code: "import { topology } from './topology.js';" },
  { file: 'src/plan/x.ts', code: "import { decide } from '../autoscale/decide.js';" },
  { file: 'src/manifests/x.ts', code: "import { createHash } from 'node:crypto';" },
  { file: 'src/manifests/x.ts', code: "import { codes } from '../errors.js';" },
  { file: 'src/api/schemas/x.ts', code: "import { z } from 'zod';" },
  { file: 'src/autoscale/decide.ts', code: "import { formatBytes } from '../api/quantity.js';" },
];

describe('import rules of eslint.config.js', () => {
  it.each(refused)('refuse in $file: $code', async ({ file, code }) => {
    const messages = await restricted(file, code);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^no-restricted-imports: /);
  });

  it.each(allowed)('allow in $file: $code', async ({ file, code }) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});
