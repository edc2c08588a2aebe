// npm runs `prepare` after `npm ci` / `npm install` in a clone, for an install from a Git URL
// (before it packs the clone) and before `npm pack`: building dist/ here makes the `dbops` bin
// work right after the install. A packed package ships dist/ and no src/, and an install
// without devDependencies (--omit=dev) has no compiler: both keep the dist/ they have.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';

const root = new URL('../', import.meta.url);
if (!existsSync(new URL('src/cli/bin.ts', root))) process.exit(0);
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (!tsc) {
  const built = existsSync(new URL('dist/cli/bin.js', root));
  const what = built ? 'keeping the existing dist/' : 'dist/ is not built; run npm ci';
  process.stderr.write(`dbops: typescript is not installed (--omit=dev): ${what}\n`);
  process.exit(0);
}
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
