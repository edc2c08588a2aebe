import { describe, expect, it } from 'vitest';
import { DbopsError } from '../../errors.js';
import { quoteRedisArg, renderRedisConfig, renderRedisDirective } from './config-file.js';

const base = {
  host: '127.0.0.1',
  port: 12000,
  dataDir: '/state/runtime/c/members/c-0/data',
  password: 'pw_-1',
  config: {},
};

describe('renderRedisConfig', () => {
  it('renders a standalone member', () => {
    const text = renderRedisConfig(base);
    const lines = text.trim().split('\n');
    for (const l of [
      'port 12000',
      'bind 127.0.0.1',
      'dir /state/runtime/c/members/c-0/data',
      'appendonly yes',
      'appendfsync everysec',
      'requirepass pw_-1',
      'masterauth pw_-1',
      'daemonize no',
      'logfile ""',
      'set-proc-title no',
    ]) {
      expect(lines).toContain(l);
    }
    expect(text).not.toContain('cluster-enabled');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('renders a cluster member', () => {
    const lines = renderRedisConfig({
      ...base,
      cluster: { nodeTimeoutMs: 500, busPort: 22000 },
    }).split('\n');
    for (const l of [
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      'cluster-node-timeout 500',
      'cluster-announce-ip 127.0.0.1',
      'cluster-announce-port 12000',
      'cluster-announce-bus-port 22000',
      'repl-diskless-sync-delay 0',
      'cluster-replica-validity-factor 0',
    ]) {
      expect(lines).toContain(l);
    }
  });

  it('appends user directives last, in order', () => {
    const lines = renderRedisConfig({
      ...base,
      config: { 'maxmemory-policy': 'allkeys-lru', save: '900 1 300 10' },
    })
      .trim()
      .split('\n');
    expect(lines.slice(-2)).toEqual(['maxmemory-policy allkeys-lru', 'save 900 1 300 10']);
  });

  it('is deterministic', () => {
    expect(renderRedisConfig(base)).toBe(renderRedisConfig({ ...base }));
  });
});

describe('renderRedisDirective', () => {
  const cases: [string, string, string][] = [
    ['maxmemory', '1gb', 'maxmemory 1gb'],
    ['save', '', 'save ""'],
    ['save', '  900   1 ', 'save 900 1'],
    ['notify-keyspace-events', 'Ex$', 'notify-keyspace-events "Ex$"'],
    ['x-key', 'a"b', 'x-key "a\\"b"'],
    ['x-key', 'a\\b', 'x-key "a\\\\b"'],
    ['MAXMEMORY', '1mb', 'maxmemory 1mb'],
  ];
  for (const [k, v, want] of cases) {
    it(`${k}=${JSON.stringify(v)}`, () => expect(renderRedisDirective(k, v)).toBe(want));
  }

  for (const key of [
    'dir',
    'include',
    'port',
    'rename-command',
    'requirepass',
    'bad key',
    'a\nport',
    'loadmodule',
    'replicaof',
    'set-proc-title',
    'enable-debug-command',
  ]) {
    it(`refuses ${JSON.stringify(key)}`, () =>
      expect(() => renderRedisDirective(key, 'x')).toThrow(DbopsError));
  }

  it('keeps a newline inside a value from starting a directive', () => {
    expect(quoteRedisArg('a\nport 1')).toBe('"a\\x0aport 1"');
    expect(renderRedisDirective('k', 'a\ninclude /x')).toBe('k a include /x');
  });
});
