import type { Clock } from '../platform/clock.js';

/** What a command may touch besides its arguments: injected so commands are testable. */
export interface CommandContext {
  env: NodeJS.ProcessEnv;
  /** Where a command asks for confirmation (dbops down --wipe); absent: it cannot ask. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  /** The time for commands that stamp what they write; the system clock when absent. */
  clock?: Clock;
}
