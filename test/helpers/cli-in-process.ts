import { Writable } from 'node:stream';
import { main } from '../../src/cli/main-cli.js';

/** Runs the dbops CLI in this process in `cwd`; returns its exit code and what it printed. */
export async function dbops(cwd: string, ...argv: string[]) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        f(chunk.toString());
        cb();
      },
    });
  const code = await main(argv, {
    env: {},
    cwd,
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
  });
  return { code, out, err };
}
