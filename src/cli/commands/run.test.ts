import { describe, expect, it } from 'vitest';
import { httpAddressOf, runConfigOf } from './run.js';

describe('dbops run flags', () => {
  it('builds a config with defaults', () => {
    const { config } = runConfigOf(['--repo', 'http://h/r.git'], {});
    expect(config).toMatchObject({
      repo: 'http://h/r.git',
      intervalMs: 30_000,
      runtime: 'local',
      stateDir: '.dbops',
    });
  });

  it('reads durations, branch, path, state dir and the git timeout from the environment', () => {
    const { config } = runConfigOf(
      ['--repo', 'r', '--interval', '2m', '--branch', 'prod', '--path', './deploy/db/'],
      { DBOPS_STATE_DIR: '/var/lib/dbops', DBOPS_GIT_TIMEOUT_MS: '2500' },
    );
    expect(config).toMatchObject({
      intervalMs: 120_000,
      branch: 'prod',
      path: 'deploy/db',
      stateDir: '/var/lib/dbops',
      gitTimeoutMs: 2500,
    });
  });

  it('reads the Kubernetes target of --runtime kubernetes', () => {
    const argv = ['--repo', 'r', '--runtime', 'kubernetes', '--kubeconfig', 'k', '--context', 'c'];
    const { config } = runConfigOf([...argv, '--namespace', 'prod'], {});
    expect(config).toMatchObject({
      runtime: 'kubernetes',
      kube: { kubeconfig: 'k', context: 'c', namespace: 'prod' },
    });
  });

  it.each([
    [['--repo', 'r', '--interval', '500ms'], /--interval '500ms'/],
    [['--repo', 'r', '--git-timeout', 'x'], /--git-timeout 'x'/],
    [
      ['--repo', 'r', '--runtime', 'cloud'],
      /--runtime 'cloud' is not valid: expected local \| kubernetes/,
    ],
    [['--repo', 'r', '--namespace', 'prod'], /--namespace applies to the Kubernetes runtime only/],
    [['--repo', 'r', '--runtime', 'kubernetes', '--namespace', 'Prod'], /--namespace 'Prod'/],
    [['--repo', 'r', '--branch', 'a..b'], /--branch 'a..b'/],
    [['--repo', 'r', '--http', '8080'], /--http '8080'/],
    [['--repo', 'r', 'extra'], /unexpected argument 'extra'/],
    [
      ['--repo', '/srv/repo', '--secrets-dir', '/srv/repo/secrets'],
      /--secrets-dir .*outside the repository/,
    ],
    [
      ['--repo', 'r', '--runtime', 'kubernetes', '--secrets-dir', 's'],
      /--secrets-dir is for the local runtime/,
    ],
  ])('rejects %j', (argv, message) => {
    expect(() => runConfigOf(argv, {})).toThrow(message);
  });

  it('takes a secrets dir outside a local repository, or any with a remote one', () => {
    const at = (argv: string[], env = {}) => runConfigOf(argv, env).config.secretsDir;
    expect(at(['--repo', '/srv/repo', '--secrets-dir', '/srv/secrets'])).toBe('/srv/secrets');
    expect(at(['--repo', 'https://h/r.git', '--secrets-dir', 'secrets'])).toBe('secrets');
    expect(at(['--repo', 'r'], { DBOPS_SECRETS_DIR: '/etc/dbops/secrets' })).toBe(
      '/etc/dbops/secrets',
    );
    expect(at(['--repo', 'r'])).toBeUndefined();
  });

  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('parses --http %s', (value, want) => expect(httpAddressOf(value)).toEqual(want));
});
