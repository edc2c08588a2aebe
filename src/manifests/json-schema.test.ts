import { describe, expect, it } from 'vitest';
import { jsonSchemas } from './json-schema.js';

describe('jsonSchemas', () => {
  const schemas = jsonSchemas() as Record<string, Record<string, unknown>>;

  it('has one draft 2020-12 schema per kind', () => {
    expect(Object.keys(schemas).sort()).toEqual([
      'Postgres',
      'PostgresAutoscaler',
      'PostgresOpsRequest',
      'Redis',
      'RedisAutoscaler',
      'RedisOpsRequest',
    ]);
    for (const [kind, schema] of Object.entries(schemas)) {
      expect(schema.$schema, kind).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.title).toBe(kind);
    }
  });

  it('offers every Redis apiVersion and forbids unknown fields', () => {
    const text = JSON.stringify(schemas.Redis);
    expect(text).toContain('kubedb.com/v1alpha2');
    expect(text).toContain('gitops.kubedb.com/v1alpha1');
    expect(text).toContain('"additionalProperties":false');
    expect(schemas.Redis?.anyOf).toHaveLength(3);
  });

  it('describes the OpsRequest types dbops reads', () => {
    expect(JSON.stringify(schemas.RedisOpsRequest)).toContain('VolumeExpansion');
    const props = (schemas.RedisOpsRequest?.properties as Record<string, unknown>).spec as {
      required: string[];
    };
    expect(props.required).toEqual(expect.arrayContaining(['databaseRef', 'type']));
  });
});
