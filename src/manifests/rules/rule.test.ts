import { describe, expect, it } from 'vitest';
import type { ManifestError } from '../../api/manifest-error.js';
import { codes } from '../../errors.js';
import type { Entry } from '../entry.js';
import { ruleContext, runRules } from './rule.js';
import type { Rule } from './rule.js';

const errorNamed = (message: string): ManifestError => ({
  code: codes.invalidField,
  file: 'same.yaml',
  line: 1,
  column: 1,
  field: '',
  message,
});
const says =
  (...messages: string[]): Rule =>
  () =>
    messages.map(errorNamed);
const echo: Rule = (entries, ctx) => [
  errorNamed(`${entries.length} entries, ${ctx.executedOps?.size ?? 0} executed`),
];

const entry = (fields: Partial<Entry>): Entry => ({
  problems: [],
  file: 'x.yaml',
  origin: { file: 'x.yaml' },
  locate: () => ({ line: 1, column: 1 }),
  ...fields,
});
const db = (kind: 'Redis' | 'Postgres', name: string, file: string): Entry =>
  entry({ kind, name, database: name, file, spec: { kind, name } as Entry['spec'] });
const scaler = (kind: 'RedisAutoscaler' | 'PostgresAutoscaler', name: string, to: string) =>
  entry({
    kind,
    name,
    database: to,
    autoscaler: { kind, name, database: to } as Entry['autoscaler'],
  });

describe('runRules', () => {
  const entries = [entry({}), entry({})];
  const ctx = ruleContext(entries, new Map([['op', 'digest']]));
  it.each<[string, Rule[], string[]]>([
    ['no rules', [], []],
    ['a rule without errors', [says()], []],
    ['one rule', [says('a', 'b')], ['a', 'b']],
    ['rules in list order, not by place', [says('b'), says(), says('a', 'c')], ['b', 'a', 'c']],
    [
      'every rule sees the entries and the context',
      [echo, echo],
      Array(2).fill('2 entries, 1 executed'),
    ],
  ])('%s', (_title, rules, messages) => {
    expect(runRules(rules, entries, ctx).map((e) => e.message)).toEqual(messages);
  });
});

describe('ruleContext', () => {
  const entries = [
    db('Redis', 'cache', 'a.yaml'),
    db('Postgres', 'cache', 'b.yaml'),
    db('Postgres', 'pg', 'c.yaml'),
    scaler('PostgresAutoscaler', 'wrong-kind', 'cache'),
    scaler('RedisAutoscaler', 'missing', 'nothing'),
    scaler('RedisAutoscaler', 'first', 'cache'),
    scaler('RedisAutoscaler', 'second', 'cache'),
    scaler('PostgresAutoscaler', 'pg-scaler', 'pg'),
  ];
  const ctx = ruleContext(entries, undefined);

  it('looks databases up by name, the first document of a name winning', () => {
    expect([...ctx.databases].map(([name, e]) => [name, e.file])).toEqual([
      ['cache', 'a.yaml'],
      ['pg', 'c.yaml'],
    ]);
  });

  it('keeps for each database the first autoscaler that refers to it validly', () => {
    expect([...ctx.autoscalerOf]).toEqual([
      ['cache', 'first'],
      ['pg', 'pg-scaler'],
    ]);
  });
});
