import { describe, expect, it } from 'vitest';
import { codes } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { policyYaml, textFile } from './fixtures.js';
import { loadPolicies } from './load.js';

const loadRepo = (text: string, path = 'policies/bad.yaml') =>
  loadPolicies({ builtIn: [], repository: [textFile(path, text)] });

interface Bad {
  name: string;
  text: string;
  code: ErrorCode;
  line: number;
  column: number;
  field: string;
  message: RegExp;
}

const window = (schedule: string, duration = '4h') => [
  'changeWindow:', // 6
  '  windows:', // 7
  `    - schedule: "${schedule}"`, // 8
  `      duration: ${duration}`, // 9
];

// Every document below lives in policies/bad.yaml; spec lines start at line 6 (fixtures.ts).
const bad: Bad[] = [
  {
    name: 'wrong apiVersion',
    text: policyYaml('p', 'noShrink: true').replace(
      'policy.dbops.dev/v1alpha1',
      'policy.dbops.dev/v1',
    ),
    code: codes.unknownApiVersion,
    ...{ line: 1, column: 13, field: 'apiVersion' },
    message: /must use apiVersion policy.dbops.dev\/v1alpha1, got "policy.dbops.dev\/v1"/,
  },
  {
    name: 'wrong kind, with a suggestion',
    text: policyYaml('p', 'noShrink: true').replace(
      'kind: DatabasePolicy',
      'kind: DatabasePolicies',
    ),
    code: codes.unknownKind,
    ...{ line: 2, column: 7, field: 'kind' },
    message:
      /holds only kind DatabasePolicy, got "DatabasePolicies". Did you mean "DatabasePolicy"\?/,
  },
  {
    name: 'unknown rule type, with a suggestion',
    text: policyYaml('p', 'storag: { min: 1Gi }'),
    code: codes.unknownField,
    ...{ line: 6, column: 3, field: 'spec.storag' },
    message: /unknown rule type "storag". Did you mean "storage"\? Rule types: storage, noShrink/,
  },
  {
    name: 'no rule at all',
    text: policyYaml('p', 'description: nothing to enforce'),
    code: codes.missingField,
    ...{ line: 6, column: 3, field: 'spec' },
    message: /needs exactly one rule in spec: one of storage, noShrink, forbiddenConfig/,
  },
  {
    name: 'two rules in one document',
    text: policyYaml('p', 'storage: { max: 1Ti }', 'noShrink: true'),
    code: codes.invalidField,
    ...{ line: 7, column: 3, field: 'spec.noShrink' },
    message:
      /one rule per policy, and this one already has storage: move noShrink into a document of its own/,
  },
  {
    name: 'unknown field inside a rule',
    text: policyYaml('p', 'storage: { min: 1Gi, mux: 2Gi }'),
    code: codes.unknownField,
    ...{ line: 6, column: 24, field: 'spec.storage.mux' },
    message: /unknown field "mux". Did you mean "max"\?/,
  },
  {
    name: 'unknown top-level field',
    text: `${policyYaml('p', 'noShrink: true')}status: {}\n`,
    code: codes.unknownField,
    ...{ line: 7, column: 1, field: 'status' },
    message: /unknown field "status"/,
  },
  {
    name: 'invalid name',
    text: policyYaml('Keep_Data', 'noShrink: true'),
    code: codes.invalidName,
    ...{ line: 4, column: 9, field: 'metadata.name' },
    message: /"Keep_Data" is not a valid name/,
  },
  {
    name: 'malformed quantity',
    text: policyYaml('p', 'storage:', '  min: 1.5.Gi'),
    code: codes.invalidQuantity,
    ...{ line: 7, column: 10, field: 'spec.storage.min' },
    message: /"1.5.Gi" is not a Kubernetes quantity/,
  },
  {
    name: 'storage without a bound',
    text: policyYaml('p', 'storage: {}'),
    code: codes.missingField,
    ...{ line: 6, column: 12, field: 'spec.storage' },
    message: /storage needs min, max or both/,
  },
  {
    name: 'storage min above max',
    text: policyYaml('p', 'storage:', '  min: 2Gi', '  max: 1Gi'),
    code: codes.invalidField,
    ...{ line: 7, column: 10, field: 'spec.storage.min' },
    message: /min 2Gi is above max 1Gi: no value could pass/,
  },
  {
    name: 'replicas min above max',
    text: policyYaml('p', 'replicas: { min: 5, max: 3 }'),
    code: codes.invalidField,
    ...{ line: 6, column: 20, field: 'spec.replicas.min' },
    message: /min 5 is above max 3/,
  },
  {
    name: 'shards of zero',
    text: policyYaml('p', 'shards: { min: 0 }'),
    code: codes.invalidField,
    ...{ line: 6, column: 18, field: 'spec.shards.min' },
    message: /must be at least 1, got 0/,
  },
  {
    name: 'noShrink: false',
    text: policyYaml('p', 'noShrink: false'),
    code: codes.invalidField,
    ...{ line: 6, column: 13, field: 'spec.noShrink' },
    message: /must be true \(remove the document to drop the rule\), got false/,
  },
  {
    name: 'an empty allowed list of deletion policies',
    text: policyYaml('p', 'deletionPolicy:', '  allowed: []'),
    code: codes.invalidField,
    ...{ line: 7, column: 14, field: 'spec.deletionPolicy.allowed' },
    message: /an empty allowed list refuses every deletionPolicy/,
  },
  {
    name: 'allowed and forbidden both',
    text: policyYaml('p', 'deletionPolicy: { allowed: [Halt], forbidden: [WipeOut] }'),
    code: codes.invalidField,
    ...{ line: 6, column: 19, field: 'spec.deletionPolicy' },
    message: /give allowed or forbidden, not both/,
  },
  {
    name: 'a misspelt deletion policy',
    text: policyYaml('p', 'deletionPolicy: { forbidden: [Wipeout] }'),
    code: codes.invalidField,
    ...{ line: 6, column: 33, field: 'spec.deletionPolicy.forbidden[0]' },
    message:
      /must be one of Delete, Halt, WipeOut, DoNotTerminate, got "Wipeout".? Did you mean "WipeOut"\?/,
  },
  {
    name: 'configValues with an empty allowed list',
    text: policyYaml('p', 'configValues: { key: maxmemory-policy, allowed: [] }'),
    code: codes.invalidField,
    ...{ line: 6, column: 51, field: 'spec.configValues.allowed' },
    message: /an empty allowed list refuses every value of maxmemory-policy/,
  },
  {
    name: 'configValues with allowed and a range',
    text: policyYaml('p', 'configValues: { key: maxclients, allowed: ["10"], max: 5 }'),
    code: codes.invalidField,
    ...{ line: 6, column: 17, field: 'spec.configValues' },
    message: /give either allowed \(a list of values\) or min\/max \(integers\), not both/,
  },
  {
    name: 'configValues with a non-integer bound',
    text: policyYaml('p', 'configValues: { key: max_connections, min: 1.5 }'),
    code: codes.invalidField,
    ...{ line: 6, column: 46, field: 'spec.configValues.min' },
    message: /must be a whole number/,
  },
  {
    name: 'malformed cron schedule',
    text: policyYaml('p', ...window('0 2 * *')),
    code: codes.invalidField,
    ...{ line: 8, column: 19, field: 'spec.changeWindow.windows[0].schedule' },
    message: /"0 2 \* \*" is not a cron schedule .*: write five fields in UTC/,
  },
  {
    name: 'a six-field (seconds) schedule',
    text: policyYaml('p', ...window('0 0 2 * * 6')),
    code: codes.invalidField,
    ...{ line: 8, column: 19, field: 'spec.changeWindow.windows[0].schedule' },
    message: /requires exactly 5 parts/,
  },
  {
    name: 'a schedule that never matches',
    text: policyYaml('p', ...window('0 0 30 2 *')),
    code: codes.invalidField,
    ...{ line: 8, column: 19, field: 'spec.changeWindow.windows[0].schedule' },
    message: /never matches a date .* so the window never opens/,
  },
  {
    name: 'malformed duration',
    text: policyYaml('p', ...window('0 2 * * 6', '4 hours')),
    code: codes.invalidField,
    ...{ line: 9, column: 19, field: 'spec.changeWindow.windows[0].duration' },
    message: /"4 hours" is not a duration/,
  },
  {
    name: 'a zero duration',
    text: policyYaml('p', ...window('0 2 * * 6', '0s')),
    code: codes.invalidField,
    ...{ line: 9, column: 19, field: 'spec.changeWindow.windows[0].duration' },
    message: /must be longer than 0/,
  },
  {
    name: 'a duration above 7 days',
    text: policyYaml('p', ...window('0 2 * * 6', '169h')),
    code: codes.invalidField,
    ...{ line: 9, column: 19, field: 'spec.changeWindow.windows[0].duration' },
    message: /"169h" is longer than 7 days \(168h\)/,
  },
  {
    name: 'no windows',
    text: policyYaml('p', 'changeWindow: { windows: [] }'),
    code: codes.invalidField,
    ...{ line: 6, column: 28, field: 'spec.changeWindow.windows' },
    message: /must be at least 1/,
  },
  {
    name: 'CEL that does not parse',
    text: policyYaml('p', 'cel:', '  expression: "database.storageBytes >"'),
    code: codes.invalidExpression,
    ...{ line: 7, column: 17, field: 'spec.cel.expression' },
    message: /the expression does not compile: Unexpected token: EOF/,
  },
  {
    name: 'CEL naming an unknown field',
    text: policyYaml('p', 'cel:', '  expression: database.size > 1'),
    code: codes.invalidExpression,
    ...{ line: 7, column: 17, field: 'spec.cel.expression' },
    message: /does not compile: No such key: size/,
  },
  {
    name: 'CEL with a type error',
    text: policyYaml('p', 'cel:', `  expression: "database.name + 1 == 'x'"`),
    code: codes.invalidExpression,
    ...{ line: 7, column: 17, field: 'spec.cel.expression' },
    message: /no such overload: string \+ int/,
  },
  {
    name: 'CEL that does not return a bool',
    text: policyYaml('p', 'cel:', '  expression: database.storageBytes * 2'),
    code: codes.invalidExpression,
    ...{ line: 7, column: 17, field: 'spec.cel.expression' },
    message: /returns int, not a bool/,
  },
  {
    name: 'CEL using operation in a database rule',
    text: policyYaml('p', 'cel:', `  expression: "operation.type == 'Restart'"`),
    code: codes.invalidExpression,
    ...{ line: 7, column: 17, field: 'spec.cel.expression' },
    message: /`operation` is only known with `on: operation`/,
  },
  {
    name: 'an empty kinds selector',
    text: policyYaml('p', 'match: { kinds: [] }', 'noShrink: true'),
    code: codes.invalidField,
    ...{ line: 6, column: 19, field: 'spec.match.kinds' },
    message: /must be at least 1/,
  },
];

describe('load-time validation', () => {
  it.each(bad)('$name', (c) => {
    const r = loadRepo(c.text);
    expect(r.policies).toEqual([]);
    expect(r.errors).toHaveLength(1);
    const { code, file, line, column, field, message } = r.errors[0] ?? {};
    expect({ code, file, line, column, field }).toEqual({
      code: c.code,
      file: 'policies/bad.yaml',
      ...{ line: c.line, column: c.column, field: c.field },
    });
    expect(message).toMatch(c.message);
  });

  it('reports every problem of a document, not only the first', () => {
    const r = loadRepo(policyYaml('p', 'storag: {}', ...window('0 2 * * 8', '0s')));
    expect(r.errors.map((e) => e.field)).toEqual([
      'spec.storag',
      'spec.changeWindow.windows[0].schedule',
      'spec.changeWindow.windows[0].duration',
    ]);
  });

  it('keeps the good documents of a file with a bad one, and places each by its line', () => {
    const text = [policyYaml('good', 'noShrink: true'), policyYaml('bad', 'noShrnk: true')].join(
      '---\n',
    );
    const r = loadRepo(text);
    expect(r.policies.map((p) => [p.name, p.file, p.line])).toEqual([
      ['good', 'policies/bad.yaml', 1],
    ]);
    expect(r.errors).toMatchObject([
      { field: 'spec.noShrnk', line: 13, message: /Did you mean "noShrink"/ },
    ]);
  });

  it('reports YAML syntax errors and files that are too large, and skips other files', () => {
    const r = loadPolicies({
      builtIn: [],
      repository: [
        textFile('policies/syntax.yaml', 'spec: [unclosed\n'),
        { path: 'policies/huge.yaml', size: 5_000_000, content: null },
        textFile('policies/README.md', '# not a policy'),
      ],
    });
    expect(r.errors.map((e) => [e.file, e.code])).toEqual([
      ['policies/huge.yaml', codes.fileTooLarge],
      ['policies/syntax.yaml', codes.yamlSyntax],
    ]);
  });

  it('refuses a manifest of another kind in a policy file', () => {
    const r = loadRepo(
      'apiVersion: kubedb.com/v1\nkind: Redis\nmetadata: { name: cache }\nspec: {}\n',
    );
    expect(r.errors).toMatchObject([
      {
        code: codes.unknownKind,
        line: 2,
        message: /Put databases and OpsRequests outside policies\//,
      },
    ]);
  });

  it('normalises what it loads', () => {
    const r = loadRepo(
      [
        policyYaml('sizes', 'description: bounds', 'storage: { min: 64Mi, max: 1.5Gi }'),
        policyYaml('keys', 'forbiddenConfig: { keys: [Dir, dir, DBFilename] }'),
        policyYaml('dp', 'deletionPolicy: { forbidden: [WipeOut, Delete] }'),
        policyYaml('win', ...window('0 2 * * 6', '1h30m')),
      ].join('---\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.policies.map((p) => p.rule)).toMatchObject([
      { type: 'storage', minBytes: 64 * 2 ** 20, maxBytes: 1536 * 2 ** 20 },
      { type: 'forbiddenConfig', keys: ['dir', 'dbfilename'] },
      {
        type: 'deletionPolicy',
        allowed: ['Halt', 'DoNotTerminate'],
        forbidden: ['Delete', 'WipeOut'],
      },
      {
        type: 'changeWindow',
        operations: 'restarting',
        windows: [{ text: '0 2 * * 6', durationMs: 5_400_000 }],
      },
    ]);
    expect(r.policies[0]).toMatchObject({
      name: 'sizes',
      description: 'bounds',
      overridable: false,
      builtIn: false,
    });
  });

  it('warns about a shards rule that matches no Redis database', () => {
    const r = loadRepo(policyYaml('p', 'match: { kinds: [Postgres] }', 'shards: { max: 4 }'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toMatchObject([
      { field: 'spec.match.kinds', message: /applies to Redis Cluster only/ },
    ]);
  });
});

describe('built-in and repository policies', () => {
  const builtIn = [
    textFile(
      'policies/b.yaml',
      [
        policyYaml('sizes', 'overridable: true', 'storage: { max: 1Ti }'),
        policyYaml('keep', 'noShrink: true'),
      ].join('---\n'),
    ),
  ];
  const repo = (...docs: string[]) => [textFile('policies/mine.yaml', docs.join('---\n'))];

  it('shows built-in files with the dbops: prefix', () => {
    const r = loadPolicies({ builtIn, repository: [] });
    expect(r.policies.map((p) => [p.name, p.file, p.line, p.builtIn])).toEqual([
      ['sizes', 'dbops:policies/b.yaml', 1, true],
      ['keep', 'dbops:policies/b.yaml', 9, true],
    ]);
  });

  it('adds repository policies after the built-ins', () => {
    const r = loadPolicies({
      builtIn,
      repository: repo(policyYaml('mine', 'replicas: { max: 3 }')),
    });
    expect(r.errors).toEqual([]);
    expect(r.policies.map((p) => p.name)).toEqual(['sizes', 'keep', 'mine']);
  });

  it('replaces an overridable built-in in place', () => {
    const r = loadPolicies({
      builtIn,
      repository: repo(policyYaml('sizes', 'storage: { max: 4Ti }')),
    });
    expect(r.errors).toEqual([]);
    expect(r.policies.map((p) => [p.name, p.file])).toEqual([
      ['sizes', 'policies/mine.yaml'],
      ['keep', 'dbops:policies/b.yaml'],
    ]);
    expect(r.policies[0]).toMatchObject({
      replaces: 'dbops:policies/b.yaml:1',
      rule: { maxBytes: 4 * 2 ** 40 },
    });
  });

  it('refuses to override a built-in that is not overridable, and keeps the built-in', () => {
    const r = loadPolicies({
      builtIn,
      repository: repo(policyYaml('keep', 'storage: { max: 4Ti }')),
    });
    expect(r.errors).toMatchObject([
      {
        code: codes.policyNotOverridable,
        file: 'policies/mine.yaml',
        ...{ line: 4, column: 9, field: 'metadata.name' },
        message:
          /policy keep is a built-in \(dbops:policies\/b.yaml:9\) that may not be overridden/,
      },
    ]);
    expect(r.policies.map((p) => p.file)).toEqual([
      'dbops:policies/b.yaml',
      'dbops:policies/b.yaml',
    ]);
  });

  it('keeps an overridable built-in in force when its replacement is invalid', () => {
    const r = loadPolicies({
      builtIn,
      repository: repo(policyYaml('sizes', 'storage: { max: lots }')),
    });
    expect(r.errors).toMatchObject([{ code: codes.invalidQuantity, field: 'spec.storage.max' }]);
    expect(r.policies.map((p) => [p.name, p.file])).toEqual([
      ['sizes', 'dbops:policies/b.yaml'],
      ['keep', 'dbops:policies/b.yaml'],
    ]);
  });

  it('refuses two repository policies with the same name', () => {
    const r = loadPolicies({
      builtIn,
      repository: [
        textFile('policies/a.yaml', policyYaml('mine', 'replicas: { max: 3 }')),
        textFile('policies/b.yaml', policyYaml('mine', 'replicas: { max: 4 }')),
      ],
    });
    expect(r.errors).toMatchObject([
      {
        code: codes.duplicateName,
        file: 'policies/b.yaml',
        ...{ line: 4, column: 9, field: 'metadata.name' },
        message: /policy mine is already defined at policies\/a.yaml:1/,
      },
    ]);
    expect(r.policies.filter((p) => p.name === 'mine').map((p) => p.file)).toEqual([
      'policies/a.yaml',
    ]);
  });

  it('refuses two built-ins with the same name', () => {
    const r = loadPolicies({
      builtIn: [...builtIn, textFile('policies/c.yaml', policyYaml('keep', 'noShrink: true'))],
      repository: [],
    });
    expect(r.errors).toMatchObject([
      { code: codes.duplicateName, file: 'dbops:policies/c.yaml', line: 4 },
    ]);
  });
});
