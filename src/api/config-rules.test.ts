import { describe, expect, it } from 'vitest';
import { settingRefusal, type ConfigFile, type SettingRefusal } from './config-rules.js';

type Row = [ConfigFile, string, SettingRefusal | undefined];

const redis: Row[] = [
  ['redis.conf', 'maxmemory', undefined],
  ['redis.conf', 'maxmemory-policy', undefined],
  ['redis.conf', 'save', undefined],
  ['redis.conf', 'appendfsync', undefined],
  ['redis.conf', 'cluster-node-timeout', undefined],
  ['redis.conf', 'tls-protocols', undefined],
  ['redis.conf', 'MAXMEMORY', undefined],
  // Owned by dbops: where the data, sockets and credentials are.
  ['redis.conf', 'port', 'forbidden'],
  ['redis.conf', 'PORT', 'forbidden'],
  ['redis.conf', 'bind', 'forbidden'],
  ['redis.conf', 'dir', 'forbidden'],
  ['redis.conf', 'dbfilename', 'forbidden'],
  ['redis.conf', 'appenddirname', 'forbidden'],
  ['redis.conf', 'requirepass', 'forbidden'],
  ['redis.conf', 'masterauth', 'forbidden'],
  ['redis.conf', 'replicaof', 'forbidden'],
  ['redis.conf', 'slaveof', 'forbidden'],
  ['redis.conf', 'cluster-enabled', 'forbidden'],
  ['redis.conf', 'cluster-port', 'forbidden'],
  ['redis.conf', 'cluster-announce-ip', 'forbidden'],
  ['redis.conf', 'cluster-announce-bus-port', 'forbidden'],
  ['redis.conf', 'cluster-announce-hostname', 'forbidden'],
  // The process title: adoption reads the config path from /proc/<pid>/cmdline.
  ['redis.conf', 'set-proc-title', 'forbidden'],
  ['redis.conf', 'proc-title-template', 'forbidden'],
  ['redis.conf', 'daemonize', 'forbidden'],
  ['redis.conf', 'logfile', 'forbidden'],
  // Files, code and commands on the host.
  ['redis.conf', 'include', 'forbidden'],
  ['redis.conf', 'loadmodule', 'forbidden'],
  ['redis.conf', 'aclfile', 'forbidden'],
  ['redis.conf', 'user', 'forbidden'],
  ['redis.conf', 'rename-command', 'forbidden'],
  ['redis.conf', 'enable-debug-command', 'forbidden'],
  ['redis.conf', 'tls-key-file', 'forbidden'],
  ['redis.conf', 'tls-key-file-pass', 'forbidden'],
  ['redis.conf', 'tls-ca-cert-dir', 'forbidden'],
  ['redis.conf', 'tls-port', 'forbidden'],
  // Not a redis.conf directive name.
  ['redis.conf', '', 'invalid-name'],
  ['redis.conf', 'bad key', 'invalid-name'],
  ['redis.conf', 'a\nport', 'invalid-name'],
  ['redis.conf', '__proto__', 'invalid-name'],
  ['redis.conf', '1port', 'invalid-name'],
  ['redis.conf', 'max_memory', 'invalid-name'],
];

const postgres: Row[] = [
  ['user.conf', 'work_mem', undefined],
  ['user.conf', 'max_connections', undefined],
  ['user.conf', 'Max_Connections', undefined],
  ['user.conf', 'pg_stat_statements.max', undefined],
  ['user.conf', 'log_min_duration_statement', undefined],
  ['user.conf', 'port', 'forbidden'],
  ['user.conf', 'listen_addresses', 'forbidden'],
  ['user.conf', 'unix_socket_directories', 'forbidden'],
  ['user.conf', 'data_directory', 'forbidden'],
  ['user.conf', 'hba_file', 'forbidden'],
  ['user.conf', 'primary_conninfo', 'forbidden'],
  ['user.conf', 'primary_slot_name', 'forbidden'],
  ['user.conf', 'include', 'forbidden'],
  ['user.conf', 'include_dir', 'forbidden'],
  ['user.conf', 'include_if_exists', 'forbidden'],
  ['user.conf', 'archive_command', 'forbidden'],
  ['user.conf', 'restore_command', 'forbidden'],
  ['user.conf', 'ssl_passphrase_command', 'forbidden'],
  ['user.conf', 'dynamic_library_path', 'forbidden'],
  ['user.conf', 'shared_preload_libraries', 'forbidden'],
  ['user.conf', 'session_preload_libraries', 'forbidden'],
  ['user.conf', 'local_preload_libraries', 'forbidden'],
  ['user.conf', 'ssl_key_file', 'forbidden'],
  ['user.conf', 'external_pid_file', 'forbidden'],
  ['user.conf', '', 'invalid-name'],
  ['user.conf', 'bad key', 'invalid-name'],
  ['user.conf', 'a\nb', 'invalid-name'],
  ['user.conf', 'work-mem', 'invalid-name'],
  ['user.conf', '_private', 'invalid-name'],
  ['user.conf', 'a.b.c', 'invalid-name'],
  ['user.conf', 'a.', 'invalid-name'],
];

describe('settingRefusal', () => {
  it.each([...redis, ...postgres])('%s %j -> %s', (file, key, want) => {
    expect(settingRefusal(file, key)).toBe(want);
  });

  it('keeps the two files apart: a name of one is judged by its own rules', () => {
    expect(settingRefusal('redis.conf', 'work_mem')).toBe('invalid-name');
    expect(settingRefusal('user.conf', 'maxmemory')).toBeUndefined();
    expect(settingRefusal('user.conf', 'dir')).toBeUndefined();
  });
});
