import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import { parseConfigText } from './config-text.js';

describe('parseConfigText redis.conf', () => {
  it('parses ordered pairs, lower-cases keys, skips comments and blank lines', () => {
    const text =
      '# memory\nMaxMemory 512mb\n\nmaxmemory-policy allkeys-lru\nsave 900 1\nsave 300 10\nnotify-keyspace-events "Ex"\n';
    const r = parseConfigText('redis.conf', text);
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({
      maxmemory: '512mb',
      'maxmemory-policy': 'allkeys-lru',
      save: '900 1 300 10',
      'notify-keyspace-events': 'Ex',
    });
    expect(Object.keys(r.values)).toEqual([
      'maxmemory',
      'maxmemory-policy',
      'save',
      'notify-keyspace-events',
    ]);
  });

  it.each([
    ['include /etc/passwd', 1, codes.forbiddenConfig, /"include" is managed by dbops/],
    ['maxmemory 1gb\nrename-command FLUSHALL ""', 2, codes.forbiddenConfig, /"rename-command"/],
    ['DIR /tmp', 1, codes.forbiddenConfig, /"dir"/],
    ['cluster-announce-ip 1.2.3.4', 1, codes.forbiddenConfig, /cluster-announce-ip/],
    ['tls-key-file /k', 1, codes.forbiddenConfig, /tls-key-file/],
    ['loadmodule /x.so', 1, codes.forbiddenConfig, /loadmodule/],
    ['requirepass secret', 1, codes.forbiddenConfig, /requirepass/],
    ['set-proc-title yes', 1, codes.forbiddenConfig, /"set-proc-title" is managed by dbops/],
    ['maxmemory 1gb\rinclude /x', 1, codes.forbiddenConfig, /control character/],
    ['maxmemory 1\u0000', 1, codes.forbiddenConfig, /control character/],
    ['appendonly "yes\\ninclude /x"', 1, codes.forbiddenConfig, /escape sequence/],
    ['appendonly', 1, codes.invalidField, /has no value/],
    ['maxmemory 1gb\nmaxmemory 2gb', 2, codes.invalidField, /already set on line 1/],
    ['__proto__ x', 1, codes.invalidField, /not a valid setting name/],
  ])('%j -> error on line %d', (text, line, code, message) => {
    const r = parseConfigText('redis.conf', text);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ line, code });
    expect(r.issues[0]?.message).toMatch(message);
    expect(r.issues[0]?.message).toMatch(new RegExp(`^line ${line} of redis.conf`));
  });
});

describe('parseConfigText user.conf', () => {
  it('parses key = value and key value, quotes and trailing comments', () => {
    const text =
      "shared_buffers = '128MB'\nwork_mem 4MB # per sort\nsearch_path = '\"$user\", public'\nMax_Connections=200\napp.flag = 'it''s # here'\n";
    const r = parseConfigText('user.conf', text);
    expect(r.issues).toEqual([]);
    expect(r.values).toEqual({
      shared_buffers: '128MB',
      work_mem: '4MB',
      search_path: '"$user", public',
      max_connections: '200',
      'app.flag': "it's # here",
    });
  });

  it.each([
    ["include 'other.conf'", codes.forbiddenConfig, /"include"/],
    ["archive_command = 'rm -rf /'", codes.forbiddenConfig, /archive_command/],
    ["shared_preload_libraries = 'evil'", codes.forbiddenConfig, /shared_preload_libraries/],
    ["data_directory = '/etc'", codes.forbiddenConfig, /data_directory/],
    ["listen_addresses = '*'", codes.forbiddenConfig, /listen_addresses/],
    ["primary_conninfo = 'host=x'", codes.forbiddenConfig, /primary_conninfo/],
    ["work_mem = 'a\\nb'", codes.forbiddenConfig, /escape sequence/],
    ['work_mem =', codes.invalidField, /has no value/],
    ["work_mem = 'abc", codes.invalidField, /not closed/],
    ['work_mem = 1MB\nwork_mem = 2MB', codes.invalidField, /already set/],
  ])('%j -> %s', (text, code, message) => {
    const r = parseConfigText('user.conf', text);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]?.code).toBe(code);
    expect(r.issues[0]?.message).toMatch(message);
  });
});
