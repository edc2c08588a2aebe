import { connect } from 'node:net';

// pg has no way to ask whether a server would take a login without logging in, so this
// speaks the first message of the protocol itself, as pg_isready does.

const READY_TIMEOUT_MS = 2_000;

/**
 * True when the Postgres server at host:port would accept a login, the way pg_isready
 * decides: a startup message gets an authentication request ('R') back, not an error such as
 * 57P03 "starting up". False when it answers otherwise, refuses, closes or times out.
 */
export function postgresReady(host: string, port: number): Promise<boolean> {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  return new Promise((resolve) => {
    let settled = false;
    const sock = connect({ host, port });
    const finish = (ready: boolean) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(ready);
    };
    sock.setTimeout(READY_TIMEOUT_MS, () => finish(false));
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
    sock.once('connect', () => sock.write(Buffer.concat([startup, params])));
    sock.once('data', (chunk: Buffer) => finish(chunk[0] === 0x52)); // 'R'
  });
}
