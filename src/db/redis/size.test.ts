import { describe, expect, it } from 'vitest';
import { parseInfo } from './cluster-nodes.js';
import { persistenceBytes } from './size.js';

const info = (lines: string[]) => parseInfo(`# Persistence\r\n${lines.join('\r\n')}\r\n`);

describe('persistenceBytes', () => {
  it.each([
    {
      what: 'AOF on: aof_current_size',
      lines: ['aof_enabled:1', 'aof_current_size:149', 'aof_base_size:99'],
      want: 149,
    },
    {
      what: 'AOF on and still empty',
      lines: ['aof_enabled:1', 'aof_current_size:0'],
      want: 0,
    },
    {
      what: 'AOF off: Redis reports no file size (none for the RDB file)',
      lines: ['aof_enabled:0', 'rdb_changes_since_last_save:3', 'rdb_saves:1'],
      want: undefined,
    },
    {
      what: 'AOF on without a size line',
      lines: ['aof_enabled:1'],
      want: undefined,
    },
    {
      what: 'a size that is not a number',
      lines: ['aof_enabled:1', 'aof_current_size:lots'],
      want: undefined,
    },
  ])('$what', ({ lines, want }) => {
    expect(persistenceBytes(info(lines))).toBe(want);
  });
});
