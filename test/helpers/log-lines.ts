import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/logger.js';

/** One JSON log line as pino writes it: `level` 20 debug, 30 info, 40 warn, 50 error. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's number for info. */
export const infoLevel = 30;

/** A debug-level JSON logger that keeps every line it writes, for tests that read logs. */
export function captureLog(): { log: Logger; lines: () => LogLine[] } {
  const lines: LogLine[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as LogLine);
      cb();
    },
  });
  return {
    log: createLogger({ level: 'debug', pretty: false, destination }),
    lines: () => [...lines],
  };
}
