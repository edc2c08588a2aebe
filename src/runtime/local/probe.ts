import { connect } from 'node:net';

const CONNECT_TIMEOUT_MS = 2_000;

/**
 * True when something accepts TCP connections on host:port; false when it refuses, errors or
 * does not answer within 2 s. Whether the database serves clients is the MemberProber's
 * question: this one speaks no database protocol.
 */
export function portAccepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const sock = connect({ host, port });
    const finish = (accepting: boolean) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(accepting);
    };
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => finish(false));
    sock.once('error', () => finish(false));
    sock.once('close', () => finish(false));
    sock.once('connect', () => finish(true));
  });
}
