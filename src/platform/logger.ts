import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values are replaced before a log line is written: secrets never reach logs. */
export const redactPaths = [
  'password',
  'token',
  'secret',
  'authorization',
  'url',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'headers.authorization',
];

/**
 * Builds the process logger: pretty on a TTY, JSON lines otherwise. `level` comes from
 * DBOPS_LOG_LEVEL or the caller.
 */
export function createLogger(opts: {
  level?: string;
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}): Logger {
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  const base = {
    level: opts.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (pretty && !opts.destination) {
    const stream = pino.transport({
      target: 'pino-pretty',
      options: { destination: 2, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss' },
    });
    // Its worker thread dies when the terminal goes away (SIGHUP, EIO), and every later line
    // would throw "the worker has exited" into whatever logs it, a controller stopping its
    // members included. Those lines have nowhere to go: they are dropped instead.
    stream.on('error', () => undefined);
    return pino(base, stream);
  }
  return pino(base, (opts.destination ?? process.stderr) as pino.DestinationStream);
}

/** A logger that drops everything (tests that do not assert on logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
