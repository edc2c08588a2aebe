import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { authFromVars, basicAuthHeader, checkCredentialsMode, parseCredentials } from './auth.js';

describe('authFromVars', () => {
  it.each([
    [{}, undefined],
    [{ DBOPS_GIT_TOKEN: 'tok' }, { token: 'tok' }],
    [{ DBOPS_GIT_TOKEN: ' tok \n' }, { token: 'tok' }],
    [
      { DBOPS_GIT_TOKEN: 'tok', DBOPS_GIT_USERNAME: 'oauth2' },
      { username: 'oauth2', token: 'tok' },
    ],
    [{ DBOPS_GIT_TOKEN: 'tok', DBOPS_GIT_PASSWORD: 'pw' }, { token: 'tok' }],
    [
      { DBOPS_GIT_USERNAME: 'u', DBOPS_GIT_PASSWORD: 'p w:x' },
      { username: 'u', password: 'p w:x' },
    ],
    [{ DBOPS_GIT_TOKEN: '' }, undefined],
  ])('%j -> %j', (env, want) => {
    expect(authFromVars(env)).toEqual(want);
  });

  it.each([
    [{ DBOPS_GIT_USERNAME: 'u' }, /without DBOPS_GIT_PASSWORD/],
    [{ DBOPS_GIT_PASSWORD: 'secret' }, /without DBOPS_GIT_USERNAME/],
  ])('refuses half a pair %j', (env, msg) => {
    expect(() => authFromVars(env)).toThrow(msg);
    try {
      authFromVars(env);
    } catch (e) {
      expect(e).toMatchObject({ code: codes.config });
      expect(String((e as Error).message)).not.toContain('secret');
    }
  });
});

describe('parseCredentials', () => {
  it.each([
    ['tok\n', { token: 'tok' }],
    ['  tok  \r\nignored\n', { token: 'tok' }],
    ['alice:pa:ss\n', { username: 'alice', password: 'pa:ss' }],
  ])('%j -> %j', (text, want) => {
    expect(parseCredentials(text, '/f')).toEqual(want);
  });

  it.each([[''], ['\nsecond'], [':pw'], ['user:']])('refuses %j', (text) => {
    expect(() => parseCredentials(text, '/f')).toThrow(/credentials file \/f/);
  });
});

describe('checkCredentialsMode', () => {
  it.each([
    [0o100600, true],
    [0o100400, true],
    [0o100640, false],
    [0o100604, false],
    [0o100620, false],
    [0o100644, false],
  ])('mode %o ok=%s', (mode, ok) => {
    if (ok) expect(() => checkCredentialsMode(mode, '/c')).not.toThrow();
    else expect(() => checkCredentialsMode(mode, '/c')).toThrow(/chmod 600 \/c|group or others/);
  });
});

describe('basicAuthHeader', () => {
  const decode = (h: string) => Buffer.from(h.replace('Basic ', ''), 'base64').toString();
  it.each([
    [{ token: 't' }, 'x-access-token:t'],
    [{ username: 'oauth2', token: 't' }, 'oauth2:t'],
    [{ username: 'u', password: 'p' }, 'u:p'],
  ])('%j -> %s', (auth, want) => {
    expect(decode(basicAuthHeader(auth))).toBe(want);
  });
});
