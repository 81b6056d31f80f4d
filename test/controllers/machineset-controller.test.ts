import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_VERSION, Annotations, Labels, type MachineSet } from '../../api/v1alpha1/index.js';
import { MACHINESET_GVK } from '../../controllers/shared/gvk.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, fakeReadiness, listMachines, sleep, startControllers, startEnv, type Env, type RunningControllers } from './rollout-harness.js';

let env: Env;
let ctrl: RunningControllers;
let ready: { stop(): void };

before(async () => {
  env = await startEnv();
  ctrl = await startControllers(env, { machineDeployments: false });
  ready = fakeReadiness(env.client);
});

after(async () => {
  ready.stop();
  await ctrl.kill();
  await env.close();
});

function machineSet(name: string, replicas: number, deletePolicy: 'Random' | 'Newest' | 'Oldest' = 'Random'): KubeObject {
  return {
    apiVersion: API_VERSION, kind: 'MachineSet',
    metadata: { name, namespace: 'default' },
    spec: {
      clusterName: 'c1', replicas, deletePolicy,
      selector: { matchLabels: { pool: name } },
      template: { metadata: { labels: { pool: name } }, spec: { clusterName: 'c1', version: 'v1.37.2' } },
    },
  };
}

const ownedBy = async (name: string) => (await listMachines(env.client)).filter((m) => m.metadata.labels?.pool === name && !m.metadata.deletionTimestamp);
const getMS = async (name: string) => (await env.client.get<KubeObject>(MACHINESET_GVK, { namespace: 'default', name })) as unknown as MachineSet;

test('scales 3 → 10 → 2 with deletePolicy Oldest, without ever overshooting', async () => {
  await env.client.create(machineSet('ms-a', 3, 'Oldest'));
  await eventually('3 ready', async () => (await getMS('ms-a')).status?.readyReplicas === 3);
  const first = await ownedBy('ms-a');
  assert.equal(first.length, 3);
  for (const m of first) {
    assert.match(m.metadata.name ?? '', /^ms-a-[a-z0-9]{5}$/);
    assert.equal(m.metadata.labels?.[Labels.setName], 'ms-a');
    assert.equal(m.metadata.labels?.[Labels.clusterName], 'c1');
    const ref = m.metadata.ownerReferences?.[0];
    assert.equal(ref?.kind, 'MachineSet');
    assert.equal(ref?.controller, true);
    assert.equal(ref?.blockOwnerDeletion, true);
  }

  // creationTimestamp has one-second resolution (as in Kubernetes), so Machines made in the same second tie on
  // age: let the clock pass the first three's second, or "oldest" would not be well defined below.
  const newest = Math.max(...first.map((m) => Date.parse(m.metadata.creationTimestamp ?? '')));
  await sleep(Math.max(0, newest + 1100 - Date.now()));
  await env.client.patch({ apiVersion: API_VERSION, kind: 'MachineSet', metadata: { name: 'ms-a', namespace: 'default' } }, { spec: { replicas: 10 } });
  let max = 0;
  await eventually('10 ready', async () => {
    max = Math.max(max, (await ownedBy('ms-a')).length);
    const s = (await getMS('ms-a')).status;
    return s?.readyReplicas === 10 && s.availableReplicas === 10 && s.phase === 'Running';
  });
  assert.ok(max <= 10, `saw ${max} Machines for 10 replicas`);
  await sleep(300);
  assert.equal((await ownedBy('ms-a')).length, 10);

  await env.client.patch({ apiVersion: API_VERSION, kind: 'MachineSet', metadata: { name: 'ms-a', namespace: 'default' } }, { spec: { replicas: 2 } });
  await eventually('2 left', async () => (await ownedBy('ms-a')).length === 2 && (await getMS('ms-a')).status?.replicas === 2);
  const left = new Set((await ownedBy('ms-a')).map((m) => m.metadata.name));
  // Oldest goes first, so what is left is the newest two.
  for (const m of first) assert.ok(!left.has(m.metadata.name), `oldest Machine ${m.metadata.name} survived`);
  const st = (await getMS('ms-a')).status!;
  assert.equal(st.selector, 'pool=ms-a');
  assert.equal(st.observedGeneration, (await getMS('ms-a')).metadata.generation);
});

test('a Machine annotated delete-machine goes first; orphans are adopted and non-matching Machines released', async () => {
  await env.client.create(machineSet('ms-b', 3, 'Newest'));
  await eventually('3 ready', async () => (await getMS('ms-b')).status?.readyReplicas === 3);
  const victim = (await ownedBy('ms-b'))[0]!;
  await env.client.patch({ apiVersion: API_VERSION, kind: 'Machine', metadata: { name: victim.metadata.name, namespace: 'default' } }, { metadata: { annotations: { [Annotations.deleteMachine]: '' } } });
  await env.client.patch({ apiVersion: API_VERSION, kind: 'MachineSet', metadata: { name: 'ms-b', namespace: 'default' } }, { spec: { replicas: 2 } });
  await eventually('victim deleted', async () => !(await ownedBy('ms-b')).some((m) => m.metadata.name === victim.metadata.name));
  await sleep(300);
  assert.equal((await ownedBy('ms-b')).length, 2);

  // An orphan that matches is adopted, so the set scales down rather than keeping 3.
  await env.client.create({ apiVersion: API_VERSION, kind: 'Machine', metadata: { name: 'orphan-1', namespace: 'default', labels: { pool: 'ms-b' } }, spec: { clusterName: 'c1' } });
  await eventually('orphan adopted', async () => {
    const m = (await listMachines(env.client)).find((x) => x.metadata.name === 'orphan-1');
    return m === undefined || m.metadata.ownerReferences?.some((r) => r.name === 'ms-b' && r.controller === true);
  });
  await eventually('back to 2', async () => (await ownedBy('ms-b')).length === 2);

  // Relabel one: it is released (owner reference removed) and replaced.
  const relabel = (await ownedBy('ms-b'))[0]!;
  await env.client.patch({ apiVersion: API_VERSION, kind: 'Machine', metadata: { name: relabel.metadata.name, namespace: 'default' } }, { metadata: { labels: { pool: 'elsewhere' } } });
  await eventually('released and replaced', async () => {
    const m = (await listMachines(env.client)).find((x) => x.metadata.name === relabel.metadata.name);
    return !m?.metadata.ownerReferences?.length && (await ownedBy('ms-b')).length === 2;
  });
});

test('a restarted controller converges without duplicates', async () => {
  await env.client.create(machineSet('ms-c', 6));
  await sleep(30);
  await ctrl.kill();
  ctrl = await startControllers(env, { machineDeployments: false });
  await eventually('6 ready', async () => (await getMS('ms-c')).status?.readyReplicas === 6);
  await sleep(500);
  assert.equal((await ownedBy('ms-c')).length, 6);
});
