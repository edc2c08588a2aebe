import { describe, expect, test } from 'vitest';
import { codes } from '../../errors.js';
import { parseEnv, parseSecretYaml, renderSecretYaml } from './secrets-dir.js';
import { thrown } from '../../../test/helpers/thrown.js';

describe('parseSecretYaml', () => {
  test.each([
    ['data in base64', 'kind: Secret\ndata:\n  password: aHVudGVyMg==\n', { password: 'hunter2' }],
    ['stringData', 'kind: Secret\nstringData:\n  password: hunter2\n', { password: 'hunter2' }],
    [
      'stringData over data, as the API server merges them',
      'kind: Secret\nmetadata: { name: auth }\ndata: { password: b2xk }\nstringData: { password: new, username: postgres }\n',
      { password: 'new', username: 'postgres' },
    ],
    [
      'a multi-line config',
      'kind: Secret\nstringData:\n  redis.conf: |\n    maxmemory 64mb\n    hz 20\n',
      { 'redis.conf': 'maxmemory 64mb\nhz 20\n' },
    ],
  ])('%s', (_, text, want) => {
    expect(parseSecretYaml('auth', '/s/auth.yaml', text)).toEqual(want);
  });

  test('reads back what renderSecretYaml writes', () => {
    const data = { username: 'default', password: 'a+b/c=' };
    expect(parseSecretYaml('auth', '/s/auth.yaml', renderSecretYaml('auth', data))).toEqual(data);
  });

  test.each([
    ['not YAML', 'kind: Secret\n  bad: [', /is not valid YAML \(line \d\)/],
    ['another kind', 'kind: ConfigMap\ndata: { password: x }\n', /is not a Kubernetes Secret/],
    [
      'another name',
      'kind: Secret\nmetadata: { name: other }\n',
      /names another Secret \(metadata.name: "other"\)/,
    ],
    [
      'data that is not base64',
      'kind: Secret\ndata: { password: "hunter2!" }\n',
      /data.password that is not base64/,
    ],
    [
      'a value that is not a string',
      'kind: Secret\nstringData: { password: [hunter2] }\n',
      /stringData.password that is not a string/,
    ],
  ])('refuses %s, naming the file and never the value', (_, text, message) => {
    const err = thrown(() => parseSecretYaml('auth', '/s/auth.yaml', text));
    expect(err.code).toBe(codes.secretInvalid);
    expect(err.retry).toBe('waiting');
    expect(err.message).toMatch(/^Secret auth \(\/s\/auth.yaml\) /);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('hunter2');
  });
});

describe('parseEnv', () => {
  test('key=value lines; comments and blank lines skipped; values as written', () => {
    expect(parseEnv('a', '/s/a.env', '# admin\nusername=postgres\n\npassword=p=q "x"\r\n')).toEqual(
      {
        username: 'postgres',
        password: 'p=q "x"',
      },
    );
  });

  test('refuses a line without a key, naming its line only', () => {
    const err = thrown(() => parseEnv('a', '/s/a.env', 'username=postgres\nhunter2\n'));
    expect(err.message).toBe('Secret a (/s/a.env, line 2) is not a key=value line');
    expect(err.retry).toBe('waiting');
  });
});
