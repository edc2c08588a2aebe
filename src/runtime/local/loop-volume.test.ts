import { describe, expect, it } from 'vitest';
import { DbopsError } from '../../errors.js';
import { loopImageBytes, minimumLoopBytes, parseMountInfo } from './loop-volume.js';

const MIB = 1024 * 1024;

describe('minimumLoopBytes', () => {
  it.each([
    { fs: 'xfs' as const, bytes: 300 * MIB },
    { fs: 'btrfs' as const, bytes: 110 * MIB },
  ])('$fs needs $bytes bytes', ({ fs, bytes }) => {
    expect(minimumLoopBytes(fs)).toBe(bytes);
  });
});

describe('loopImageBytes', () => {
  it.each([
    { asked: 1, want: 300 * MIB },
    { asked: 300 * MIB - 1, want: 300 * MIB },
    { asked: 300 * MIB, want: 300 * MIB },
    { asked: 300 * MIB + 1, want: 300 * MIB + 4096 },
    { asked: 1024 * MIB, want: 1024 * MIB },
    { asked: 1536 * MIB + 100, want: 1536 * MIB + 4096 },
    { asked: 2 ** 50, want: 2 ** 50 },
  ])('asked $asked -> $want', ({ asked, want }) => {
    expect(loopImageBytes(asked)).toBe(want);
  });

  it('uses the btrfs minimum for btrfs', () => {
    expect(loopImageBytes(1, 'btrfs')).toBe(110 * MIB);
  });

  it.each([0, -4096, 1.5, Number.MAX_SAFE_INTEGER + 2, Number.NaN])('rejects %s', (asked) => {
    expect(() => loopImageBytes(asked)).toThrow(DbopsError);
  });
});

describe('parseMountInfo', () => {
  it.each([
    {
      name: 'a loop mount with no optional fields',
      line: '42 27 7:0 / /tmp/v/mnt rw,noatime - xfs /dev/loop0 rw,inode64',
      want: [{ mountPoint: '/tmp/v/mnt', fsType: 'xfs', source: '/dev/loop0' }],
    },
    {
      name: 'optional fields before the separator',
      line: '36 35 98:0 / /mnt/a rw shared:1 master:2 - btrfs /dev/loop3 rw',
      want: [{ mountPoint: '/mnt/a', fsType: 'btrfs', source: '/dev/loop3' }],
    },
    {
      name: 'octal escapes for space and backslash',
      line: '50 27 7:1 / /tmp/my\\040vol\\134x rw - xfs /dev/loop1 rw',
      want: [{ mountPoint: '/tmp/my vol\\x', fsType: 'xfs', source: '/dev/loop1' }],
    },
    { name: 'blank and truncated lines', line: '\n12 1 0:1 / /x rw\n', want: [] },
  ])('$name', ({ line, want }) => {
    expect(parseMountInfo(line)).toEqual(want);
  });

  it('keeps every line in order', () => {
    const text = [
      '1 0 0:1 / / rw - overlay overlay rw',
      '2 1 7:0 / /m rw - xfs /dev/loop0 rw',
      '3 1 7:1 / /m rw - xfs /dev/loop1 rw',
    ].join('\n');
    expect(parseMountInfo(text).map((m) => m.source)).toEqual([
      'overlay',
      '/dev/loop0',
      '/dev/loop1',
    ]);
  });
});
