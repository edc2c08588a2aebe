import { describe, expect, it } from 'vitest';
import { notRefused, screenKnownFields } from './known-fields.js';
import { postgresDoc, redisDoc } from './fixtures.js';

type Obj = Record<string, unknown>;
const spec = (doc: unknown) => (doc as { spec: Obj }).spec;

describe('screenKnownFields: KubeDB fields honoured, refused by name, or dropped', () => {
  it.each([
    {
      name: 'a field dbops honours stays, without a word',
      doc: redisDoc('c', {
        storage: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } },
      }),
      problems: [],
      kept: { storage: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } },
    },
    {
      name: 'a KubeDB feature dbops does not do is an error at its key, and stays for the schema',
      doc: redisDoc('c', { tls: { issuerRef: { name: 'ca' } } }),
      problems: [['error', 'spec.tls', true, /^TLS is not supported yet/]],
      kept: { tls: { issuerRef: { name: 'ca' } } },
    },
    {
      name: 'what dbops does anyway is dropped silently',
      doc: postgresDoc('p', {
        sslMode: 'disable',
        disableAuth: false,
      }),
      problems: [],
      dropped: ['sslMode', 'disableAuth'],
    },
    {
      name: 'another value of such a field is refused, naming the value',
      doc: postgresDoc('p', { sslMode: 'require' }),
      problems: [['error', 'spec.sslMode', false, /^"require": /]],
      kept: { sslMode: 'require' },
    },
    {
      name: 'an honoured field stays for the schema, without a problem',
      doc: postgresDoc('p', { standbyMode: 'Warm' }),
      problems: [],
      kept: { standbyMode: 'Warm' },
    },
    {
      name: 'a field that only means something on Kubernetes, not applied there yet: a warning, dropped',
      doc: redisDoc('c', { podTemplate: { spec: { hostNetwork: true } } }),
      problems: [
        ['warning', 'spec.podTemplate.spec.hostNetwork', true, /only has a meaning on Kubernetes/],
      ],
      kept: { podTemplate: { spec: {} } },
    },
    {
      name: 'a typo is left for the schema (which says unknown field and suggests)',
      doc: redisDoc('c', { storagee: {} }),
      problems: [],
      kept: { storagee: {} },
    },
  ])('$name', ({ doc, problems, kept, dropped }) => {
    const r = screenKnownFields(doc.kind as 'Redis', doc.apiVersion as string, doc);
    expect(
      r.problems.map((p) => [p.severity, p.path.join('.'), p.atKey ?? false, p.message]),
    ).toEqual(
      problems.map(([sev, path, atKey, message]): unknown[] => [
        sev,
        path,
        atKey,
        expect.stringMatching(message as RegExp) as unknown,
      ]),
    );
    if (kept) expect(spec(r.value)).toMatchObject(kept);
    for (const k of dropped ?? []) expect(spec(r.value)).not.toHaveProperty(k);
    expect(r.refused.map((p) => p.join('.'))).toEqual(
      problems.filter(([sev]) => sev === 'error').map(([, path]) => path),
    );
  });

  it('drops bookkeeping an exported object carries, silently', () => {
    const doc = { ...redisDoc('c'), status: { phase: 'Ready' } };
    const r = screenKnownFields('Redis', 'kubedb.com/v1', doc);
    expect(r.problems).toEqual([]);
    expect(r.value).not.toHaveProperty('status');
  });

  it('notRefused keeps what is not at or below a refused path', () => {
    const keep = notRefused([['spec', 'tls']]);
    const p = (path: (string | number)[]) => ({
      severity: 'error' as const,
      code: 'DBOPS_E_X' as never,
      path,
      message: '',
    });
    expect(
      [p(['spec', 'tls']), p(['spec', 'tls', 'issuerRef']), p(['spec', 'storage'])]
        .filter(keep)
        .map((x) => x.path),
    ).toEqual([['spec', 'storage']]);
  });
});
