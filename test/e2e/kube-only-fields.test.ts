// Fields that only mean something on Kubernetes (pod placement, resources), on the local
// runtime: the database runs as written, and the runtime says once that they have no meaning
// there, naming them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db, startEnv, type TestEnv } from '../helpers/env.js';
import { captureLog } from '../helpers/log-lines.js';
import { redisStandalone } from '../helpers/manifests.js';

const files = {
  'databases/cache.yaml': redisStandalone('cache', {
    deletionPolicy: 'WipeOut',
    config: 'maxmemory 256mb',
    spec: `  podTemplate:
    metadata:
      labels:
        team: data
    spec:
      nodeSelector:
        disk: ssd
      tolerations:
        - key: dedicated
          operator: Exists
      resources:
        limits:
          memory: 1Gi
`,
  }),
};

describe('Kubernetes-only fields on the local runtime', () => {
  const capture = captureLog();
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnv(files, { log: capture.log });
    await env.until('cache Ready', (s) => db(s, 'cache').phase === 'Ready');
  });
  afterAll(async () => {
    await env?.close();
  });

  it('runs the database and warns once, naming the fields', async () => {
    await env.converge();
    await env.converge();
    const warned = capture
      .lines()
      .filter((l) => /have no meaning on the local runtime/.test(String(l.msg)));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ database: 'cache', level: 40 });
    expect(String(warned[0]!.msg)).toMatch(
      /^podTemplate resources, labels, nodeSelector, tolerations have no meaning on the local runtime .*maxmemory keeps Redis within a memory limit here$/,
    );
  });
});
