import { describe, expect, it } from 'vitest';
import { formatTrustProblem, parseTrustedKeys } from './trust-file.js';
import { botPaths } from './trust.js';

const armored = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n...\n-----END PGP PUBLIC KEY BLOCK-----\n';
const parse = (text: string) => parseTrustedKeys(text, 'trusted.yaml');
const problems = (text: string): string[] => {
  const r = parse(text);
  return r.ok ? [] : r.problems.map(formatTrustProblem);
};

describe('parseTrustedKeys', () => {
  it('reads keys, their paths, and the bot default', () => {
    const text = [
      'keys:',
      '  - name: dbops-bot',
      '    role: bot',
      '    publicKeyFile: bot.asc',
      '  - name: alice',
      '    publicKey: |',
      ...armored
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`),
      "    paths: ['**', { add: 'ops/**' }, { path: 'docs/**', changes: [add, modify, add] }]",
    ].join('\n');
    expect(parse(text)).toEqual({
      ok: true,
      entries: [
        {
          name: 'dbops-bot',
          publicKey: { file: 'bot.asc' },
          paths: botPaths,
          line: 2,
          keyLine: 4,
        },
        {
          name: 'alice',
          publicKey: { armored },
          paths: [
            { pattern: '**', changes: ['add', 'modify', 'delete'] },
            { pattern: 'ops/**', changes: ['add'] },
            { pattern: 'docs/**', changes: ['add', 'modify'] },
          ],
          line: 5,
          keyLine: 6,
        },
      ],
    });
  });

  it('lets a bot key narrow or widen its paths', () => {
    const r = parse('keys:\n  - { name: b, role: bot, publicKeyFile: b.asc, paths: [ops/a/**] }\n');
    expect(r.ok && r.entries[0]?.paths).toEqual([
      { pattern: 'ops/a/**', changes: ['add', 'modify', 'delete'] },
    ]);
  });

  it.each<[string, string, (string | RegExp)[]]>([
    ['an empty file', '', ['trusted.yaml:1: is empty: write keys: [...]']],
    ['two documents', 'keys: []\n---\nkeys: []\n', ['trusted.yaml:3: must hold one YAML document']],
    ['bad YAML', 'keys: [\n', [/^trusted\.yaml:\d+: .*fix the YAML syntax$/]],
    [
      'no keys',
      'other: 1\n',
      [
        'trusted.yaml:1: keys: keys is required',
        'trusted.yaml:1: other: unknown field "other". Accepted fields here: keys',
      ],
    ],
    [
      'an unknown field',
      'keys:\n  - name: a\n    publicKeyFile: a.asc\n    paths: ["**"]\n    pats: x\n',
      [/^trusted\.yaml:5: keys\[0\]\.pats: unknown field "pats"/],
    ],
    [
      'both key forms',
      'keys:\n  - name: a\n    publicKey: x\n    publicKeyFile: a.asc\n    paths: ["**"]\n',
      [
        'trusted.yaml:2: keys[0]: set exactly one of publicKey (the armored key) or publicKeyFile (a path)',
      ],
    ],
    [
      'no key at all',
      'keys:\n  - name: a\n    paths: ["**"]\n',
      [
        'trusted.yaml:2: keys[0]: set exactly one of publicKey (the armored key) or publicKeyFile (a path)',
      ],
    ],
    [
      'no paths and no role',
      'keys:\n  - name: a\n    publicKeyFile: a.asc\n',
      [
        "trusted.yaml:2: keys[0]: paths is required, for example paths: ['**'] for any change, or role: bot for adds under ops/ only",
      ],
    ],
    [
      'a duplicate name',
      'keys:\n  - { name: a, publicKeyFile: a.asc, paths: ["**"] }\n  - { name: a, publicKeyFile: b.asc, paths: ["**"] }\n',
      ['trusted.yaml:3: keys[1].name: the name "a" is used twice: names must be unique'],
    ],
    [
      'a directory glob',
      'keys:\n  - name: a\n    publicKeyFile: a.asc\n    paths:\n      - ops/\n',
      ["trusted.yaml:5: keys[0].paths[0]: glob 'ops/' names files, not directories: write ops/**"],
    ],
    [
      'an unknown rule form',
      'keys:\n  - name: a\n    publicKeyFile: a.asc\n    paths:\n      - { modify: ops/** }\n',
      [
        "trusted.yaml:5: keys[0].paths[0]: must be a glob or a mapping, got a mapping: write a glob ('**': any change), { add: 'ops/**' } (new files only), or { path: 'docs/**', changes: [add, modify, delete] }",
      ],
    ],
    [
      'an unknown change',
      'keys:\n  - name: a\n    publicKeyFile: a.asc\n    paths: [{ path: "**", changes: [rename] }]\n',
      [
        'trusted.yaml:4: keys[0].paths[0]: changes must be a list of add, modify, delete, got a list',
      ],
    ],
    [
      'an unknown role',
      'keys:\n  - name: a\n    role: human\n    publicKeyFile: a.asc\n    paths: ["**"]\n',
      [/^trusted\.yaml:3: keys\[0\]\.role: must be one of bot/],
    ],
  ])('reports %s', (_name, text, want) => {
    expect(problems(text)).toEqual(
      want.map((w): unknown => (typeof w === 'string' ? w : expect.stringMatching(w))),
    );
  });
});
