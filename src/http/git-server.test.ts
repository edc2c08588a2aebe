import { describe, expect, it } from 'vitest';
import { basicAuthOk, cgiEnv, parseCgiHead, safePathInfo } from './git-server.js';

describe('safePathInfo', () => {
  it.each([
    ['/demo.git/info/refs', '/demo.git/info/refs'],
    ['/a%20b.git/HEAD', '/a b.git/HEAD'],
    ['/../etc/passwd', undefined],
    ['/demo.git/%2e%2e/%2e%2e/x', undefined],
    ['/demo.git/./x', undefined],
    ['/a\\..\\b', undefined],
    ['/a%00b', undefined],
    ['/bad%zz', undefined],
    ['relative', undefined],
  ])('%s -> %s', (raw, want) => {
    expect(safePathInfo(raw)).toBe(want);
  });
});

describe('basicAuthOk', () => {
  const auth = { username: 'u', password: 'p:w' };
  const b = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it.each([
    [b('u:p:w'), true],
    [b('u:p:W'), false],
    [b('u:p:w '), false],
    [undefined, false],
    ['Bearer x', false],
  ])('%s -> %s', (header, ok) => {
    expect(basicAuthOk(header, auth)).toBe(ok);
  });
});

describe('parseCgiHead', () => {
  it.each([
    [
      'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nbody',
      404,
      'Not Found',
      [['Content-Type', 'text/plain']],
      'body',
    ],
    [
      'Content-Type: application/x-git-upload-pack-advertisement\n\n001e',
      200,
      'OK',
      [['Content-Type', 'application/x-git-upload-pack-advertisement']],
      '001e',
    ],
    [
      'Expires: Fri\r\nPragma: no-cache\r\n\r\n',
      200,
      'OK',
      [
        ['Expires', 'Fri'],
        ['Pragma', 'no-cache'],
      ],
      '',
    ],
  ])('%j', (raw, status, text, headers, body) => {
    const buf = Buffer.from(raw);
    const head = parseCgiHead(buf)!;
    expect([head.status, head.statusText, head.headers]).toEqual([status, text, headers]);
    expect(buf.subarray(head.bodyStart).toString()).toBe(body);
  });

  it('waits for the end of the headers', () => {
    expect(parseCgiHead(Buffer.from('Status: 200 OK\r\nContent-Type: x\r\n'))).toBeUndefined();
  });
});

describe('cgiEnv', () => {
  it('maps a request to the CGI variables http-backend reads', () => {
    const env = cgiEnv(
      {
        method: 'POST',
        pathInfo: '/demo.git/git-upload-pack',
        query: '',
        headers: {
          'content-type': 'application/x-git-upload-pack-request',
          'content-length': '12',
          'content-encoding': 'gzip',
          'git-protocol': 'version=2',
        },
      },
      { root: '/srv/git', remoteUser: 'alice', remoteAddr: '127.0.0.1' },
    );
    expect(env).toMatchObject({
      GIT_PROJECT_ROOT: '/srv/git',
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: '/demo.git/git-upload-pack',
      REQUEST_METHOD: 'POST',
      QUERY_STRING: '',
      CONTENT_TYPE: 'application/x-git-upload-pack-request',
      CONTENT_LENGTH: '12',
      HTTP_CONTENT_ENCODING: 'gzip',
      GIT_PROTOCOL: 'version=2',
      HTTP_GIT_PROTOCOL: 'version=2',
      REMOTE_USER: 'alice',
      REMOTE_ADDR: '127.0.0.1',
    });
  });
});
