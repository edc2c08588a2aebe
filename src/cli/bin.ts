#!/usr/bin/env node
import { main } from './main-cli.js';

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  // A getter: process.stdin is only created for a command that asks something.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
});
