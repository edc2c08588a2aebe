import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codes } from '../../src/errors.js';
import {
  emptyState,
  type ControllerState,
  type DatabaseRecord,
} from '../../src/reconcile/store.js';
import { kubeApis, loadKubeConfig } from '../../src/runtime/kubernetes/kube-config.js';
import { configMapStateStore } from '../../src/runtime/kubernetes/state-store.js';
import { startControlPlane, type ControlPlane } from '../helpers/kube-control-plane.js';
import { redisSpec } from '../runtime/specs.js';

const bin = inject('kubeBin');
const skip = inject('kubeSkip');
const ns = 'dbops-system';

/** A state with `n` Ready databases of three members each, as a controller would save it. */
function stateWith(n: number): ControllerState {
  const state = emptyState('http://git.example/desired.git#main:/', 'kubernetes');
  for (let i = 0; i < n; i++) {
    const name = `db-${String(i).padStart(4, '0')}`;
    const spec = redisSpec(name, {
      config: { maxmemory: '100mb', 'maxmemory-policy': 'allkeys-lru' },
    });
    const record: DatabaseRecord = {
      name,
      kind: 'Redis',
      mode: 'Standalone',
      lastGood: spec,
      lastGoodRevision: 'a'.repeat(40),
      applied: spec,
      effective: {},
      haltedForRemoval: false,
      phase: 'Ready',
      runningVersion: '7.0.15',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'MembersReady',
          message: `every member of ${name} is ready`,
          lastTransitionTime: new Date(0).toISOString(),
        },
      ],
      members: [0, 1, 2].map((m) => ({
        name: `${name}-${m}`,
        role: m === 0 ? 'master' : 'replica',
        endpoint: `${name}-${m}.${name}-pods.prod.svc:6379`,
        ready: true,
        restarts: 0,
        volume: { capacityBytes: 1024 ** 3, usedBytes: 12345678 },
      })) as unknown as DatabaseRecord['members'],
    };
    state.databases[name] = record;
  }
  return state;
}

describe.skipIf(!bin)(`controller state in a ConfigMap${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  const store = (name?: string) =>
    configMapStateStore({
      api: kubeApis(loadKubeConfig({ kubeconfig: cp.kubeconfig }).config).core,
      namespace: ns,
      ...(name ? { name } : {}),
    });

  beforeAll(async () => {
    cp = await startControlPlane(bin);
    await cp.kubectl('create', 'namespace', ns);
  });
  afterAll(() => cp?.stop());

  it('loads nothing at first, then what was saved, in a restarted controller too', async () => {
    const a = store();
    expect(await a.load()).toBeUndefined();
    const state = stateWith(3);
    await a.save(state);
    state.revision = 'b'.repeat(40);
    await a.save(state);
    const restarted = store();
    expect(await restarted.load()).toEqual(state);
    expect(a.location).toBe(`ConfigMap ${ns}/dbops-state`);
  });

  it('keeps the state of 1,000 databases in one object, compressed under the 1 MiB an object may hold', async () => {
    const state = stateWith(1000);
    const raw = Buffer.byteLength(JSON.stringify(state));
    const s = store('dbops-state-big');
    await s.save(state);
    const stored = await cp.kubectl(
      'get',
      'configmap',
      'dbops-state-big',
      '-n',
      ns,
      '-o',
      'jsonpath={.binaryData.status\\.json\\.gz}',
    );
    const kept = Buffer.from(stored, 'base64').length;
    console.info(`state of 1,000 databases: ${raw} bytes of JSON, ${kept} bytes stored`);
    expect(raw).toBeGreaterThan(1024 * 1024);
    expect(kept).toBeLessThan(1024 * 1024);
    expect(await store('dbops-state-big').load()).toEqual(state);
  });

  it('refuses to write over a save by another controller, and a later save still says so', async () => {
    const a = store('dbops-state-two');
    await a.save(stateWith(1));
    const b = store('dbops-state-two');
    await b.load();
    await b.save(stateWith(2));
    await expect(a.save(stateWith(3))).rejects.toMatchObject({ code: codes.stateLocked });
    await expect(a.save(stateWith(3))).rejects.toMatchObject({ code: codes.stateLocked });
    expect(Object.keys((await store('dbops-state-two').load())!.databases)).toHaveLength(2);
  });

  it('names the object and what to do when its content was edited by hand', async () => {
    await store('dbops-state-bad').save(stateWith(1));
    await cp.kubectl(
      'patch',
      'configmap',
      'dbops-state-bad',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        binaryData: { 'status.json.gz': Buffer.from('not gzip').toString('base64') },
      }),
    );
    const err = await store('dbops-state-bad')
      .load()
      .then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; hint?: string },
      );
    expect(err?.code).toBe(codes.stateCorrupt);
    expect(err?.message).toMatch(/cannot read ConfigMap dbops-system\/dbops-state-bad/);
  });
});
