import { connect, type Socket } from 'node:net';
import { encodeCommand } from './resp.js';

// Readiness is checked over raw sockets so that the runtime does not depend on the database
// clients (ioredis and pg live under src/db/ only).

const PROBE_TIMEOUT_MS = 2_000;

/**
 * Connects, writes `request`, and collects bytes until `done` says the answer is complete.
 * Resolves with what arrived (possibly empty) when the peer closes, errors or times out.
 */
function exchange(
  host: string,
  port: number,
  request: Buffer | undefined,
  done: (received: Buffer) => boolean,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const sock: Socket = connect({ host, port });
    const finish = (value: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(value);
    };
    sock.setTimeout(PROBE_TIMEOUT_MS, () => finish(undefined));
    sock.once('error', () => finish(undefined));
    sock.once('close', () => finish(received.length ? received : undefined));
    sock.once('connect', () => {
      if (!request) return finish(Buffer.alloc(0));
      sock.write(request);
    });
    sock.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (done(received)) finish(received);
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export async function portAccepting(host: string, port: number): Promise<boolean> {
  return (await exchange(host, port, undefined, () => true)) !== undefined;
}

/** True when Redis answers AUTH + PING with +OK and +PONG (not -LOADING, not an auth error). */
export async function redisReady(host: string, port: number, password: string): Promise<boolean> {
  const request = Buffer.concat([encodeCommand(['AUTH', password]), encodeCommand(['PING'])]);
  const lines = (b: Buffer) =>
    b
      .toString('latin1')
      .split('\r\n')
      .filter((l) => l !== '');
  const answer = await exchange(host, port, request, (b) => lines(b).length >= 2);
  if (!answer) return false;
  const [auth, ping] = lines(answer);
  return auth === '+OK' && ping === '+PONG';
}

/**
 * True when Postgres would accept a login, the way pg_isready decides: a startup message
 * gets an authentication request ('R') back, not an error such as 57P03 "starting up".
 */
export async function postgresReady(host: string, port: number): Promise<boolean> {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  const answer = await exchange(host, port, Buffer.concat([startup, params]), (b) => b.length >= 1);
  return answer?.[0] === 0x52; // 'R'
}
