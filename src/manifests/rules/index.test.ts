import { describe, expect, it } from 'vitest';
import { codes } from '../../errors.js';
import { opsDoc, redisDoc, yamlFile } from '../fixtures.js';
import { loadDesiredState } from '../load.js';

// The loader sorts errors by place and keeps the rules' order among errors at one place.
describe('crossDocumentRules order', () => {
  it('reports a duplicate name before the edit of an executed OpsRequest, at one place', () => {
    const op = opsDoc('RedisOpsRequest', 'grow', 'cache', 'Restart');
    const s = loadDesiredState({
      revision: 'r',
      files: [yamlFile('databases/cache.yaml', redisDoc('cache')), yamlFile('ops/a.yaml', op, op)],
      executedOps: new Map([['grow', 'other content']]),
    });
    expect(s.errors.map((e) => [e.line, e.field, e.code])).toEqual([
      [4, 'metadata.name', codes.duplicateName],
      [4, 'metadata.name', codes.opsEdited],
      [13, 'metadata.name', codes.duplicateName],
      [13, 'metadata.name', codes.opsEdited],
    ]);
  });
});
