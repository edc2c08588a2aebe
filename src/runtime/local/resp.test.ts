import { describe, expect, it } from 'vitest';
import { RespError, encodeCommand, pairsToRecord, parseReply } from './resp.js';

describe('encodeCommand', () => {
  it.each([
    { args: ['PING'], want: '*1\r\n$4\r\nPING\r\n' },
    { args: ['CONFIG', 'GET', '*'], want: '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n' },
    { args: ['SET', 'k', ''], want: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n' },
    { args: ['AUTH', 'pä'], want: '*2\r\n$4\r\nAUTH\r\n$3\r\npä\r\n' },
  ])('$args', ({ args, want }) => {
    expect(encodeCommand(args).toString('utf8')).toBe(want);
  });
});

describe('parseReply', () => {
  it.each([
    { name: 'simple string', text: '+OK\r\n', value: 'OK' },
    { name: 'error', text: '-ERR bad\r\n', value: new RespError('ERR bad') },
    { name: 'integer', text: ':42\r\n', value: 42 },
    { name: 'bulk string', text: '$5\r\nhello\r\n', value: 'hello' },
    { name: 'bulk with CRLF inside', text: '$4\r\na\r\nb\r\n', value: 'a\r\nb' },
    { name: 'empty bulk', text: '$0\r\n\r\n', value: '' },
    { name: 'nil bulk', text: '$-1\r\n', value: null },
    { name: 'nil array', text: '*-1\r\n', value: null },
    { name: 'empty array', text: '*0\r\n', value: [] },
    {
      name: 'array of bulk strings',
      text: '*4\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n$4\r\nsave\r\n$0\r\n\r\n',
      value: ['maxmemory', '0', 'save', ''],
    },
    { name: 'nested array', text: '*2\r\n*1\r\n:1\r\n$1\r\nx\r\n', value: [[1], 'x'] },
  ])('$name', ({ text, value }) => {
    const buf = Buffer.from(text);
    expect(parseReply(buf)).toEqual({ value, next: buf.length });
  });

  it.each(['', '+OK', '$5\r\nhel', '$5\r\nhello', '*2\r\n$1\r\na\r\n', '*2\r\n$1\r\na\r\n$1\r\n'])(
    'waits for more bytes: %j',
    (text) => {
      expect(parseReply(Buffer.from(text))).toBeUndefined();
    },
  );

  it('parses pipelined replies one after the other', () => {
    const buf = Buffer.from('+OK\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    const first = parseReply(buf);
    expect(first).toEqual({ value: 'OK', next: 5 });
    expect(parseReply(buf, first?.next)).toEqual({ value: ['a', 'b'], next: buf.length });
  });

  it.each(['?x\r\n', '$x\r\n', '*1.5\r\n'])('rejects malformed %j', (text) => {
    expect(() => parseReply(Buffer.from(text))).toThrow(/malformed/);
  });
});

describe('pairsToRecord', () => {
  it('turns CONFIG GET pairs into a record', () => {
    expect(pairsToRecord(['a', '1', 'b', ''])).toEqual({ a: '1', b: '' });
  });

  it.each([[['a']], ['OK'], [[1, 2]], [null]])('rejects %j', (value) => {
    expect(() => pairsToRecord(value)).toThrow();
  });
});
