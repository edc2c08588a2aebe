import { describe, expect, it } from 'vitest';
import { fileErrorsOf, rejectsWholeFile, type FileSettingError } from './settings.js';

const row = (name: string | null, error: string, line = 3): FileSettingError => ({
  sourcefile: '/data/dbops.conf',
  sourceline: line,
  name,
  error,
});
const notApplied = 'setting could not be applied';

describe('fileErrorsOf', () => {
  const cases: {
    title: string;
    rows: FileSettingError[];
    pending: string[];
    want: string[];
  }[] = [
    { title: 'no errors', rows: [], pending: [], want: [] },
    {
      title: 'a bad value is reported with file, line and name',
      rows: [row('checkpoint_timeout', notApplied)],
      pending: [],
      want: ['/data/dbops.conf:3: checkpoint_timeout: setting could not be applied'],
    },
    {
      title: 'a valid postmaster change pending a restart is not an error',
      rows: [row('shared_buffers', notApplied)],
      pending: ['shared_buffers'],
      want: [],
    },
    {
      title: 'a pending name with a different error is still reported',
      rows: [row('shared_buffers', 'unrecognized configuration parameter')],
      pending: ['shared_buffers'],
      want: ['/data/dbops.conf:3: shared_buffers: unrecognized configuration parameter'],
    },
    {
      title: 'a syntax error has no name',
      rows: [row(null, 'syntax error', 7)],
      pending: [],
      want: ['/data/dbops.conf:7: syntax error'],
    },
    {
      title: 'unknown file and line',
      rows: [{ sourcefile: null, sourceline: null, name: 'x', error: notApplied }],
      pending: [],
      want: ['?: x: setting could not be applied'],
    },
  ];
  it.each(cases)('$title', ({ rows, pending, want }) => {
    expect(fileErrorsOf(rows, pending)).toEqual(want);
  });
});

describe('rejectsWholeFile', () => {
  const cases: { title: string; rows: FileSettingError[]; want: boolean }[] = [
    { title: 'no errors', rows: [], want: false },
    { title: 'only refused values', rows: [row('work_mem', notApplied)], want: false },
    { title: 'a syntax error', rows: [row(null, 'syntax error')], want: true },
    {
      title: 'an unknown parameter among refused values',
      rows: [row('work_mem', notApplied), row('nope', 'unrecognized configuration parameter')],
      want: true,
    },
  ];
  it.each(cases)('$title', ({ rows, want }) => {
    expect(rejectsWholeFile(rows)).toBe(want);
  });
});
