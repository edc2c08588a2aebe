/**
 * Which configuration settings a manifest may carry: the one list of directives dbops owns
 * or refuses as unsafe, and the one setting-name rule, for validation and for the runtime
 * that renders the files.
 */

/** The configuration file names dbops accepts inline. */
export type ConfigFile = 'redis.conf' | 'user.conf';

/** Why a setting is refused: not a setting name of that file, or owned by dbops or unsafe. */
export type SettingRefusal = 'invalid-name' | 'forbidden';

// Directives that move data, break auth or replication, detach the process from its
// supervisor or its adoption check (the process title), read or write host files, or load
// code.
const redisForbidden = new Set([
  'include',
  'rename-command',
  'dir',
  'dbfilename',
  'appendfilename',
  'appenddirname',
  'logfile',
  'pidfile',
  'unixsocket',
  'unixsocketperm',
  'port',
  'tls-port',
  'bind',
  'daemonize',
  'set-proc-title',
  'proc-title-template',
  'requirepass',
  'masterauth',
  'masteruser',
  'user',
  'cluster-enabled',
  'cluster-config-file',
  'cluster-port',
  'replicaof',
  'slaveof',
  'loadmodule',
  'aclfile',
  'enable-debug-command',
  'enable-module-command',
  'enable-protected-configs',
]);

// Settings that move the data or the sockets, replace the runtime's files, or run commands
// and load libraries on the host.
const postgresForbidden = new Set([
  'include',
  'include_dir',
  'include_if_exists',
  'data_directory',
  'config_file',
  'hba_file',
  'ident_file',
  'port',
  'listen_addresses',
  'unix_socket_directories',
  'unix_socket_group',
  'unix_socket_permissions',
  'archive_command',
  'archive_library',
  'restore_command',
  'archive_cleanup_command',
  'recovery_end_command',
  'ssl_passphrase_command',
  'dynamic_library_path',
  'primary_conninfo',
  'primary_slot_name',
  'external_pid_file',
  'log_directory',
  'ssl_cert_file',
  'ssl_key_file',
  'ssl_ca_file',
  'ssl_crl_file',
  'ssl_crl_dir',
  'krb_server_keyfile',
]);

const namePattern: Record<ConfigFile, RegExp> = {
  'redis.conf': /^[a-z][a-z0-9-]*$/,
  'user.conf': /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$/,
};

function forbidden(file: ConfigFile, name: string): boolean {
  if (file === 'redis.conf') {
    return (
      redisForbidden.has(name) ||
      name.startsWith('cluster-announce-') ||
      /^tls-.*(file|dir|pass)$/.test(name)
    );
  }
  return postgresForbidden.has(name) || name.endsWith('_preload_libraries');
}

/**
 * Checks one setting name of `file` (case-insensitive, as both servers read them): returns
 * undefined when a manifest may set it, else why not. Pure.
 */
export function settingRefusal(file: ConfigFile, key: string): SettingRefusal | undefined {
  const name = key.toLowerCase();
  if (!namePattern[file].test(name)) return 'invalid-name';
  return forbidden(file, name) ? 'forbidden' : undefined;
}

/** A Postgres setting that a spec field sets, so the configuration may not set it too. */
export interface SpecOwnedSetting {
  /** The spec field that sets it, as the message names it. */
  setBy: string;
  /** What to write instead. */
  instead: string;
  /** Only while synchronous replication is on (otherwise the user may set it). */
  onlySynchronous: boolean;
}

/** Postgres settings spec fields set (lower case); shared by validation and rendering. */
export const postgresSpecOwned: Readonly<Record<string, SpecOwnedSetting>> = {
  synchronous_standby_names: {
    setBy: 'streamingMode: Synchronous',
    instead: 'spec.synchronousReplicationConfig (mode, numSyncReplicas and standbyNames)',
    onlySynchronous: true,
  },
  synchronous_commit: {
    setBy: 'streamingMode: Synchronous',
    instead: 'spec.synchronousReplicationConfig.commitLevel',
    onlySynchronous: true,
  },
  hot_standby: {
    setBy: 'spec.standbyMode',
    instead: 'spec.standbyMode (Hot: on, Warm: off)',
    onlySynchronous: false,
  },
};

/** The entry of `key` in postgresSpecOwned when the configuration may not set it. Pure. */
export function specOwnedSetting(key: string, synchronous: boolean): SpecOwnedSetting | undefined {
  const owned = postgresSpecOwned[key.toLowerCase()];
  return owned && (synchronous || !owned.onlySynchronous) ? owned : undefined;
}
