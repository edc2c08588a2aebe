import { describe, expect, it } from 'vitest';
import { errorResponseFields, isWarmStandbyRefusal, warmStandbyDetail } from './ready.js';

/** A protocol ErrorResponse ('E') with the given fields, as a server sends it. */
function errorResponse(fields: [string, string][]): Buffer {
  const body = Buffer.concat([
    ...fields.map(([code, value]) => Buffer.from(`${code}${value}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const warm: [string, string][] = [
  ['S', 'FATAL'],
  ['C', '57P03'],
  ['M', 'the database system is not accepting connections'],
  ['D', warmStandbyDetail],
];

describe('errorResponseFields', () => {
  it('reads every field by its code', () => {
    expect(errorResponseFields(errorResponse(warm))).toEqual(new Map(warm));
  });

  it.each([
    ['an authentication request', Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 10])],
    ['a message shorter than its header', Buffer.from('E\0\0', 'latin1')],
    ['nothing', Buffer.alloc(0)],
  ])('is undefined for %s', (_, message) => {
    expect(errorResponseFields(message)).toBeUndefined();
  });

  it('stops at a field cut off by the end of the message', () => {
    const whole = errorResponse(warm);
    const cut = whole.subarray(0, whole.length - 8);
    expect(errorResponseFields(cut)?.get('C')).toBe('57P03');
    expect(errorResponseFields(cut)?.has('D')).toBe(false);
  });
});

describe('isWarmStandbyRefusal', () => {
  it.each([
    ['a warm standby in recovery', warm, true],
    [
      'a server starting up (57P03, another detail)',
      [
        ['C', '57P03'],
        ['M', 'the database system is starting up'],
      ],
      false,
    ],
    [
      'a hot standby not yet consistent',
      [
        ['C', '57P03'],
        ['D', 'Consistent recovery state has not been yet reached.'],
      ],
      false,
    ],
    [
      'another error with the same detail',
      [
        ['C', '28P01'],
        ['D', warmStandbyDetail],
      ],
      false,
    ],
  ] as [string, [string, string][], boolean][])('%s: %s', (_, fields, want) => {
    expect(isWarmStandbyRefusal(errorResponseFields(errorResponse(fields)))).toBe(want);
  });

  it('is false without an error response', () => {
    expect(isWarmStandbyRefusal(undefined)).toBe(false);
  });
});
