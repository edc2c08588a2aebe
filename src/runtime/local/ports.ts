import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { codes, transient } from '../../errors.js';

// Below Linux's ephemeral range (32768+), so outgoing connections rarely collide; the Redis
// cluster bus (+10000) stays below it too.
const LOW = 10_000;
const HIGH = 22_000;
/** Offset of a Redis Cluster member's bus port from its client port. */
export const BUS_OFFSET = 10_000;

/** True when nothing listens on host:port (checked by binding it for a moment). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Picks a random free port (and its bus port when `bus`), avoiding ports already assigned to
 * other members. Throws portsExhausted after many attempts.
 */
export async function allocatePort(opts: {
  host: string;
  bus: boolean;
  taken: ReadonlySet<number>;
}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(LOW, HIGH);
    if (opts.taken.has(port) || (opts.bus && opts.taken.has(port + BUS_OFFSET))) continue;
    if (!(await isPortFree(opts.host, port))) continue;
    if (opts.bus && !(await isPortFree(opts.host, port + BUS_OFFSET))) continue;
    return port;
  }
  throw transient(codes.portsExhausted, `no free port found on ${opts.host}`, {
    hint: `free some ports between ${LOW} and ${HIGH} on ${opts.host}`,
  });
}
