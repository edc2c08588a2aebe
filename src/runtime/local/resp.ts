import { connect } from 'node:net';

// A small RESP2 client over a raw socket: the runtime talks to scratch and member servers
// without ioredis, which lives under src/db/redis/ only.

/** An error reply (`-ERR ...`) from the server. */
export class RespError {
  constructor(readonly message: string) {}
}

/** One RESP2 reply: simple/bulk string, integer, nil, error, or an array of those. */
export type RespValue = string | number | null | RespError | RespValue[];

/** Encodes a command as a RESP array of bulk strings. Pure. */
export function encodeCommand(args: string[]): Buffer {
  const parts = args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(`*${args.length}\r\n${parts.join('')}`);
}

/**
 * Parses one reply starting at `offset`. Returns the value and where the next reply starts,
 * or undefined when the buffer does not hold a whole reply yet. Throws on a malformed reply.
 */
export function parseReply(
  buf: Buffer,
  offset = 0,
): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = integer(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = integer(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`malformed RESP reply: type byte ${JSON.stringify(type)}`);
  }
}

function integer(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new Error(`malformed RESP length ${JSON.stringify(text)}`);
  return Number(text);
}

/** A flat array of bulk strings (`CONFIG GET *`) as key/value pairs; throws on another shape. */
export function pairsToRecord(value: RespValue): Record<string, string> {
  if (!Array.isArray(value) || value.length % 2 !== 0) {
    throw new Error('expected an array of key/value pairs');
  }
  const out: Record<string, string> = {};
  for (let i = 0; i < value.length; i += 2) {
    const [k, v] = [value[i], value[i + 1]];
    if (typeof k !== 'string' || typeof v !== 'string') throw new Error('expected bulk strings');
    out[k] = v;
  }
  return out;
}

/**
 * Sends `commands` in one pipeline and resolves with one reply per command (error replies
 * included as RespError). Rejects when the connection fails, closes early or `timeoutMs` ends.
 */
export function redisCommands(
  host: string,
  port: number,
  commands: string[][],
  timeoutMs: number,
): Promise<RespValue[]> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const sock = connect({ host, port });
    const fail = (err: Error) => {
      sock.destroy();
      reject(err);
    };
    sock.setTimeout(timeoutMs, () => fail(new Error(`no answer from ${host}:${port}`)));
    sock.once('error', fail);
    sock.once('close', () => fail(new Error(`${host}:${port} closed the connection`)));
    sock.once('connect', () => sock.write(Buffer.concat(commands.map(encodeCommand))));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        for (let r = parseReply(buf); r; r = parseReply(buf)) {
          replies.push(r.value);
          buf = buf.subarray(r.next);
          if (replies.length === commands.length) {
            sock.removeAllListeners('close');
            sock.destroy();
            return resolve(replies);
          }
        }
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}
