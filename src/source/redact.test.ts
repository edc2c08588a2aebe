import { describe, expect, it } from 'vitest';
import { parseRemoteUrl, redact, safeCause, secretsOf, stripUserInfo } from './redact.js';

describe('parseRemoteUrl', () => {
  it.each([
    ['https://example.com/r.git', 'https://example.com/r.git', undefined],
    [
      'https://u:p%40ss@example.com/r.git',
      'https://example.com/r.git',
      { username: 'u', password: 'p@ss' },
    ],
    [
      'http://tok@127.0.0.1:8080/r.git/',
      'http://127.0.0.1:8080/r.git',
      { username: 'tok', password: '' },
    ],
    ['not a url u:p@x', 'not a url u:p@x', undefined],
  ])('%s', (raw, url, auth) => {
    expect(parseRemoteUrl(raw)).toEqual({ url, auth });
  });
});

describe('redact', () => {
  const secrets = secretsOf({ username: 'u', password: 'p@ss:w0rd' });
  it.each([
    ['cannot GET http://u:p%40ss%3Aw0rd@host/x', 'cannot GET http://host/x'],
    ['password p@ss:w0rd here', 'password *** here'],
    ['encoded p%40ss%3Aw0rd', 'encoded ***'],
    ['Authorization: Basic dTpwQHNzOncwcmQ=', 'Authorization: Basic ***'],
    ['Bearer abcdefghijkl', 'Bearer ***'],
    ['nothing to hide', 'nothing to hide'],
  ])('%s', (text, want) => {
    expect(redact(text, secrets)).toBe(want);
  });

  it('strips user info from several URLs', () => {
    expect(stripUserInfo('a https://x:y@h/ b http://z@k')).toBe('a https://h/ b http://k');
  });

  it('copies an error without its secret, keeping name and code', () => {
    const err = Object.assign(new Error('failed for https://u:p%40ss%3Aw0rd@h with p@ss:w0rd'), {
      code: 'HttpError',
      data: { headers: 'x' },
    });
    const safe = safeCause(err, secrets);
    expect(safe.message).toBe('failed for https://h with ***');
    expect(safe.stack).not.toContain('w0rd');
    expect(safe).toMatchObject({ name: 'Error', code: 'HttpError' });
    expect('data' in safe).toBe(false);
  });
});
