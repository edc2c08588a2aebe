import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { classifyRemoteError, remoteError } from './git-errors.js';

const e = (code: string, message = 'x', data?: object) =>
  Object.assign(new Error(message), { code, data });

describe('classifyRemoteError', () => {
  it.each([
    [e('HttpError', 'HTTP Error: 401', { statusCode: 401 }), 'auth'],
    [e('HttpError', 'HTTP Error: 403', { statusCode: 403 }), 'auth'],
    [e('HttpError', 'HTTP Error: 404', { statusCode: 404 }), 'unreachable'],
    [e('HttpError', 'HTTP Error: 502', { statusCode: 502 }), 'unreachable'],
    [e('NotFoundError', 'Could not find refs/heads/x.', { what: 'refs/heads/x' }), 'missing-ref'],
    [e('NotFoundError', 'Could not find abc.', { what: 'abc' }), 'other'],
    [e('ECONNREFUSED'), 'unreachable'],
    [e('ETIMEDOUT'), 'unreachable'],
    [e('SmartHttpError'), 'unreachable'],
    [e('InternalError'), 'other'],
    ['a string', 'other'],
  ])('%s -> %s', (err, kind) => {
    expect(classifyRemoteError(err).kind).toBe(kind);
  });
});

describe('remoteError', () => {
  const ctx = {
    url: 'https://h/r.git',
    branch: 'main',
    secrets: ['s3cret'],
    branches: ['main', 'dev'],
  };
  it.each([
    [
      e('HttpError', 'HTTP Error: 401 s3cret', { statusCode: 401 }),
      codes.sourceAuth,
      /refused the credentials/,
    ],
    [
      e('NotFoundError', 'x', { what: 'refs/heads/main' }),
      codes.sourceRef,
      /branch 'main' does not exist in https:\/\/h\/r.git; branches: main, dev/,
    ],
    [
      e('ECONNREFUSED', 'connect ECONNREFUSED s3cret'),
      codes.sourceUnreachable,
      /^cannot reach https:\/\/h\/r.git: connect ECONNREFUSED \*\*\*$/,
    ],
  ])('%s', (err, code, message) => {
    const got = remoteError(err, ctx);
    expect(got.code).toBe(code);
    expect(got.message).toMatch(message);
    expect(
      JSON.stringify([
        got.message,
        got.hint,
        (got.cause as Error).message,
        (got.cause as Error).stack,
      ]),
    ).not.toContain('s3cret');
  });
});
