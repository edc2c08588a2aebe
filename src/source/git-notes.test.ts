import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatOperationNote,
  mergeNote,
  noteBlock,
  type OperationNoteInput,
} from './git-notes.js';

const base: OperationNoteInput = {
  id: '20260102-030000-cache-VolumeExpansion',
  database: 'cache',
  type: 'VolumeExpansion',
  phase: 'Successful',
  startedAt: '2026-01-02T03:00:00.000Z',
  finishedAt: '2026-01-02T03:01:12.400Z',
  steps: [
    {
      name: 'expand',
      phase: 'Succeeded',
      startedAt: '2026-01-02T03:00:01.000Z',
      finishedAt: '2026-01-02T03:00:04.250Z',
      message: 'grown to 2Gi',
    },
    {
      name: 'verify',
      phase: 'Succeeded',
      startedAt: '2026-01-02T03:00:04.250Z',
      finishedAt: '2026-01-02T03:00:04.300Z',
      message: null,
    },
  ],
  reason: null,
  message: null,
  file: 'ops/20260102-030000-cache-VolumeExpansion.yaml',
};

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [850, '850ms'],
    [999.6, '1s'],
    [3249, '3.2s'],
    [59_940, '59.9s'],
    [59_960, '1m0s'],
    [72_400, '1m12s'],
    [3_605_000, '1h0m5s'],
    [-5, '0ms'],
  ])('%d ms -> %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatOperationNote', () => {
  it('renders the summary, the fields and one line per step', () => {
    expect(formatOperationNote(base)).toBe(
      [
        'dbops: VolumeExpansion 20260102-030000-cache-VolumeExpansion on cache: Successful in 1m12s',
        'operation: 20260102-030000-cache-VolumeExpansion',
        'type: VolumeExpansion',
        'database: cache',
        'result: Successful',
        'started: 2026-01-02T03:00:00.000Z',
        'finished: 2026-01-02T03:01:12.400Z',
        'duration: 1m12s',
        'file: ops/20260102-030000-cache-VolumeExpansion.yaml',
        'steps:',
        '- expand: Succeeded in 3.3s: grown to 2Gi',
        '- verify: Succeeded in 50ms',
        '',
      ].join('\n'),
    );
  });

  it.each<[string, Partial<OperationNoteInput>, string[], string[]]>([
    [
      'a failure keeps reason and message',
      { phase: 'Failed', reason: 'VolumeCannotShrink', message: 'stays at 1536Mi' },
      ['reason: VolumeCannotShrink', 'message: stays at 1536Mi', 'result: Failed'],
      [],
    ],
    [
      'an unfinished operation has no duration',
      { finishedAt: null, phase: 'Progressing', file: undefined },
      ['dbops: VolumeExpansion 20260102-030000-cache-VolumeExpansion on cache: Progressing\n'],
      ['duration:', 'finished:', 'file:'],
    ],
    [
      'newlines cannot forge fields or split the block',
      { message: 'ok\nresult: Successful\n\nfake block', database: 'ca\r\nche' },
      ['message: ok result: Successful fake block', 'on ca che:'],
      ['\n\n', 'message: ok\n', '\nfake block'],
    ],
    [
      'a finish before the start has no duration',
      { finishedAt: '2026-01-01T00:00:00.000Z' },
      ['on cache: Successful\n'],
      ['duration:'],
    ],
  ])('%s', (_name, change, has, hasNot) => {
    const text = formatOperationNote({ ...base, ...change });
    for (const s of has) expect(text).toContain(s);
    for (const s of hasNot) expect(text).not.toContain(s);
    expect(formatOperationNote({ ...base, ...change })).toBe(text);
  });

  it('caps very long values', () => {
    const text = formatOperationNote({ ...base, message: 'x'.repeat(5000) });
    expect(text).toContain(`message: ${'x'.repeat(400)}...\n`);
  });
});

describe('mergeNote', () => {
  it.each<[string, string | undefined, string, string | undefined]>([
    ['no note yet', undefined, 'A\n', 'A\n'],
    ['an empty note', '\n', 'A', 'A\n'],
    ['appends with a blank line', 'A\n', 'B\n', 'A\n\nB\n'],
    ['the same block again is a no-op', 'A\n\nB\n', 'B', undefined],
    ['the first block again is a no-op', 'A\nx\n\nB\n', 'A\nx\n', undefined],
    ['a prefix of a block is new', 'A\nx\n', 'A\n', 'A\nx\n\nA\n'],
    ['a suffix of a block is new', 'A\nx\n', 'x\n', 'A\nx\n\nx\n'],
    ['CRLF and trailing blanks normalised', 'A  \r\n', 'A\r\n', undefined],
    ['a note without a final newline', 'A', 'B', 'A\n\nB\n'],
  ])('%s', (_name, existing, text, merged) => {
    expect(mergeNote(existing, text)).toBe(merged);
  });

  it('normalises blocks like git notes', () => {
    expect(noteBlock('\n\n a \t\r\nb  \n\n')).toBe(' a\nb\n');
    expect(noteBlock(' \n ')).toBe('');
  });
});
