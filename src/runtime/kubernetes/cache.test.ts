import { describe, expect, it } from 'vitest';
import { slim, type CachedKind } from './cache.js';

const object = () => ({
  metadata: {
    name: 'x',
    uid: 'u',
    labels: { a: 'b' },
    annotations: { 'dbops.dev/applied-hash': 'h' },
    managedFields: [{ manager: 'dbops' }],
  },
  spec: { replicas: 1 },
  data: { k: 'v' },
  status: {
    phase: 'Running',
    podIP: '10.0.0.1',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ image: 'redis:7.0.15', restartCount: 0 }],
    hostIP: '10.0.0.9',
    qosClass: 'BestEffort',
  },
});

describe('slim (what the informer cache keeps)', () => {
  it.each<[CachedKind, string[], string[]]>([
    ['ConfigMap', ['data', 'spec'], []],
    ['Secret', ['data'], []],
    ['PersistentVolumeClaim', ['spec', 'status'], []],
    ['Service', ['data'], ['spec', 'status']],
    ['StatefulSet', [], ['spec', 'status']],
    ['PodDisruptionBudget', [], ['spec', 'status']],
    ['Pod', ['status'], ['spec']],
  ])('%s keeps %j and drops %j, and never managedFields', (kind, kept, dropped) => {
    const o = object();
    slim(kind, o);
    expect(o.metadata).toEqual({
      name: 'x',
      uid: 'u',
      labels: { a: 'b' },
      annotations: { 'dbops.dev/applied-hash': 'h' },
    });
    for (const k of kept) expect(o).toHaveProperty(k);
    for (const k of dropped) expect(o).not.toHaveProperty(k);
  });

  it("keeps of a pod's status only what observe reads", () => {
    const o = object();
    slim('Pod', o);
    expect(Object.keys(o.status).sort()).toEqual([
      'conditions',
      'containerStatuses',
      'phase',
      'podIP',
    ]);
  });
});
