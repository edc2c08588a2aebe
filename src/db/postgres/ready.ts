import { connect } from 'node:net';

// pg has no way to ask whether a server would take a login without logging in, so this
// speaks the first message of the protocol itself, as pg_isready does.

const READY_TIMEOUT_MS = 2_000;

/**
 * The DETAIL of the 57P03 error a standby with hot_standby off (standbyMode: Warm) answers
 * every connection with once it is in recovery (Postgres 14 and later). A server that is
 * still starting up answers 57P03 too, with another message.
 */
export const warmStandbyDetail = 'Hot standby mode is disabled.';

/** The fields of a protocol ErrorResponse ('E') message, by their one-letter codes. */
export function errorResponseFields(message: Buffer): Map<string, string> | undefined {
  if (message.length < 5 || message[0] !== 0x45) return undefined; // 'E'
  const fields = new Map<string, string>();
  const end = Math.min(message.length, 1 + message.readInt32BE(1));
  let at = 5;
  while (at < end && message[at] !== 0) {
    const code = String.fromCharCode(message[at]!);
    const stop = message.indexOf(0, at + 1);
    if (stop < 0 || stop > end) break;
    fields.set(code, message.toString('utf8', at + 1, stop));
    at = stop + 1;
  }
  return fields;
}

/** True when an ErrorResponse is a warm standby's refusal (57P03, hot standby disabled). */
export function isWarmStandbyRefusal(fields: Map<string, string> | undefined): boolean {
  return fields?.get('C') === '57P03' && fields.get('D') === warmStandbyDetail;
}

/**
 * True when the Postgres server at host:port is up for its role, the way pg_isready decides,
 * and one step further: a startup message gets an authentication request ('R') back, not an
 * error such as 57P03 "starting up"; or it is a warm standby in recovery, which refuses every
 * connection by design. False when it answers otherwise, refuses, closes or times out.
 */
export function postgresReady(host: string, port: number): Promise<boolean> {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'latin1');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4); // protocol 3.0
  return new Promise((resolve) => {
    let settled = false;
    let answer = Buffer.alloc(0);
    const sock = connect({ host, port });
    const finish = (ready: boolean) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(ready);
    };
    sock.setTimeout(READY_TIMEOUT_MS, () => finish(false));
    sock.once('error', () => finish(false));
    // The server closes after an ErrorResponse: decide on what it sent.
    sock.once('close', () => finish(isWarmStandbyRefusal(errorResponseFields(answer))));
    sock.once('connect', () => sock.write(Buffer.concat([startup, params])));
    sock.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer[0] === 0x52)
        finish(true); // 'R'
      else if (answer.length >= 5 && answer.length >= 1 + answer.readInt32BE(1)) {
        finish(isWarmStandbyRefusal(errorResponseFields(answer)));
      }
    });
  });
}
