import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_VERSION, Annotations, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { CLUSTER_GVK, MACHINE_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../../controllers/shared/gvk.js';
import { isMachineAvailable } from '../../controllers/shared/machine-state.js';
import { silentLogger } from '../../lib/logging.js';
import { Informer } from '../../runtime/cache/informer.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, fakeReadiness, sleep, startControllers, startEnv, type Env, type RunningControllers } from './rollout-harness.js';

let env: Env;
let ctrl: RunningControllers;
let ready: { stop(): void };
let machines: Informer;
/** The bounds in force while a rollout runs; undefined between rollouts (scaling is not a rollout). */
let bounds: { max: number; minAvailable: number } | undefined;
const violations: string[] = [];

const ref = (name: string, kind = 'MachineDeployment') => ({ apiVersion: API_VERSION, kind, metadata: { name, namespace: 'default' } });
const getMD = async (name: string) => (await env.client.get<KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name })) as unknown as MachineDeployment;
const setsOf = async (md: string) => ((await env.client.list<KubeObject>(MACHINESET_GVK, { namespace: 'default' })).items as unknown as MachineSet[])
  .filter((ms) => ms.metadata.ownerReferences?.some((r) => r.name === md));
const poolMachines = (pool: string) => [...machines.store.values()].map((o) => o as unknown as Machine)
  .filter((m) => m.metadata.labels?.pool === pool && !m.metadata.deletionTimestamp);

function checkInvariants(): void {
  if (!bounds) return;
  const live = poolMachines('workers');
  const available = live.filter((m) => isMachineAvailable(m, 0, Date.now())).length;
  if (live.length > bounds.max) violations.push(`${live.length} Machines > max ${bounds.max}`);
  if (available < bounds.minAvailable) violations.push(`${available} available < min ${bounds.minAvailable}`);
}

before(async () => {
  env = await startEnv();
  await env.client.create({
    apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: 'c1', namespace: 'default' },
    spec: { infrastructure: { provider: 'inmemory' }, controlPlane: { replicas: 1, version: 'v1.35.0' } },
  });
  await env.client.patchStatus(ref('c1', 'Cluster'), { status: { controlPlane: { version: 'v1.35.0' } } });
  machines = new Informer(MACHINE_GVK, env.client, { namespace: 'default', logger: silentLogger() });
  machines.addEventHandler({ onAdd: checkInvariants, onUpdate: checkInvariants, onDelete: checkInvariants });
  machines.start();
  await machines.waitForSync();
  ctrl = await startControllers(env);
  ready = fakeReadiness(env.client);
});

after(async () => {
  ready.stop();
  await ctrl.kill();
  await machines.stop();
  await env.close();
});

async function converged(name: string, replicas: number, version: string): Promise<void> {
  await eventually(`${name} at ${replicas} × ${version}`, async () => {
    const md = await getMD(name);
    const st = md.status;
    const live = poolMachines('workers');
    return st !== undefined && st.observedGeneration === md.metadata.generation && st.replicas === replicas && st.updatedReplicas === replicas
      && st.availableReplicas === replicas && live.length === replicas && live.every((m) => m.spec.version === version)
      && (await setsOf(name)).filter((ms) => (ms.spec.replicas ?? 0) > 0).length === 1;
  }, 40_000);
}

async function rollTo(version: string, replicas: number, max: number, minAvailable: number): Promise<void> {
  bounds = { max, minAvailable };
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version } } } });
  await converged('workers', replicas, version);
  bounds = undefined;
}

test('creates, scales 3 → 10 → 2, and rolls with maxSurge=1/maxUnavailable=0 within bounds', async () => {
  await env.client.create({
    apiVersion: API_VERSION, kind: 'MachineDeployment', metadata: { name: 'workers', namespace: 'default' },
    spec: {
      clusterName: 'c1', replicas: 3, selector: { matchLabels: { pool: 'workers' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0, deletePolicy: 'Oldest' } },
      template: { metadata: { labels: { pool: 'workers' } }, spec: { clusterName: 'c1', version: 'v1.34.2' } },
    },
  });
  await converged('workers', 3, 'v1.34.2');
  const [first] = await setsOf('workers');
  assert.equal(first!.metadata.annotations?.[Annotations.revision], '1');
  assert.ok(first!.spec.selector.matchLabels?.['machine-template-hash']);

  await env.client.patch(ref('workers'), { spec: { replicas: 10 } });
  await converged('workers', 10, 'v1.34.2');
  await env.client.patch(ref('workers'), { spec: { replicas: 2 } });
  await converged('workers', 2, 'v1.34.2');

  await rollTo('v1.35.0', 2, 3, 2);
  const md = await getMD('workers');
  assert.equal(md.metadata.annotations?.[Annotations.revision], '2');
  assert.equal(md.status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewMachineSetAvailable');
  assert.equal(md.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  assert.deepEqual(violations, []);
});

test('percentages: maxSurge 50% rounds up, maxUnavailable 25% rounds down', async () => {
  await env.client.patch(ref('workers'), { spec: { replicas: 5, strategy: { rollingUpdate: { maxSurge: '50%', maxUnavailable: '25%' } } } });
  await converged('workers', 5, 'v1.35.0');
  // surge ceil(2.5) = 3, unavailable floor(1.25) = 1
  await rollTo('v1.34.2', 5, 8, 4);
  assert.deepEqual(violations, []);
});

test('scaling mid-rollout spreads over both MachineSets and still converges', async () => {
  await env.client.patch(ref('workers'), { spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } } });
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version: 'v1.35.0' } } } });
  await eventually('rollout under way', async () => (await setsOf('workers')).filter((ms) => (ms.spec.replicas ?? 0) > 0).length === 2);
  await env.client.patch(ref('workers'), { spec: { replicas: 8 } });
  await converged('workers', 8, 'v1.35.0');
  // revisionHistoryLimit (default 1) keeps one old MachineSet.
  await eventually('history trimmed', async () => (await setsOf('workers')).length === 2);
});

test('killing the controllers mid-rollout leaves no duplicated Machines', async () => {
  bounds = { max: 9, minAvailable: 8 };
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version: 'v1.34.2' } } } });
  for (let i = 0; i < 3; i++) {
    await sleep(150 + Math.random() * 300);
    await ctrl.kill();
    ctrl = await startControllers(env);
  }
  await converged('workers', 8, 'v1.34.2');
  bounds = undefined;
  await sleep(500);
  assert.equal(poolMachines('workers').length, 8);
  assert.deepEqual(violations, []);
});

test('a worker version newer than the control plane is held with a condition that says why', async () => {
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version: 'v1.36.0' } } } });
  const cond = await eventually('VersionSkewOk False', async () => {
    const c = (await getMD('workers')).status?.conditions?.find((x) => x.type === 'VersionSkewOk');
    return c?.status === 'False' ? c : undefined;
  });
  assert.equal(cond.reason, 'ControlPlaneVersionBehind');
  assert.match(cond.message ?? '', /control plane runs v1\.35\.0/);
  await sleep(500);
  assert.ok(poolMachines('workers').every((m) => m.spec.version === 'v1.34.2'));
  assert.equal((await setsOf('workers')).some((ms) => ms.spec.template.spec.version === 'v1.36.0'), false);

  // The control plane catches up. A worker may then take any minor up to the control plane's, and a newer patch of
  // that minor too (this was held while patches were compared): the pool goes v1.34.2 → v1.36.5 under v1.36.0.
  await env.client.patch({ ...ref('c1', 'Cluster'), apiVersion: CLUSTER_GVK.apiVersion }, { spec: { controlPlane: { version: 'v1.36.0' } } });
  await env.client.patchStatus(ref('c1', 'Cluster'), { status: { controlPlane: { version: 'v1.36.0' } } });
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version: 'v1.36.5' } } } });
  await converged('workers', 8, 'v1.36.5');
  assert.equal((await getMD('workers')).status?.conditions?.find((x) => x.type === 'VersionSkewOk')?.status, 'True');
  await env.client.patch(ref('workers'), { spec: { template: { spec: { version: 'v1.35.0' } } } });
  await converged('workers', 8, 'v1.35.0');
});

test('paused: a template change waits; resuming rolls it out', async () => {
  await env.client.patch(ref('workers'), { spec: { replicas: 3 } });
  await converged('workers', 3, 'v1.35.0');
  await env.client.patch(ref('workers'), { spec: { paused: true, template: { spec: { version: 'v1.36.0' } } } });
  await eventually('Progressing says paused', async () =>
    (await getMD('workers')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason === 'MachineDeploymentPaused');
  await sleep(800);
  assert.ok(poolMachines('workers').every((m) => m.spec.version === 'v1.35.0'), 'no Machine is replaced while paused');
  assert.equal((await setsOf('workers')).some((ms) => ms.spec.template.spec.version === 'v1.36.0' && (ms.spec.replicas ?? 0) > 0), false);
  await env.client.patch(ref('workers'), { spec: { paused: false } });
  await converged('workers', 3, 'v1.36.0');
});

test('OnDelete: a template change replaces a Machine only when the user deletes it', async () => {
  await env.client.patch({ ...ref('c1', 'Cluster'), apiVersion: CLUSTER_GVK.apiVersion }, { spec: { controlPlane: { version: 'v1.37.0' } } });
  await env.client.patchStatus(ref('c1', 'Cluster'), { status: { controlPlane: { version: 'v1.37.0' } } });
  await env.client.patch(ref('workers'), { spec: { strategy: { type: 'OnDelete' }, template: { spec: { version: 'v1.37.0' } } } });
  await eventually('the new MachineSet', async () => (await setsOf('workers')).some((ms) => ms.spec.template.spec.version === 'v1.37.0'));
  await sleep(800);
  assert.ok(poolMachines('workers').every((m) => m.spec.version === 'v1.36.0'), 'nothing is replaced until a Machine is deleted');

  const [first, ...rest] = poolMachines('workers');
  await env.client.delete({ ...MACHINE_GVK, metadata: { name: first!.metadata.name, namespace: 'default' } });
  await eventually('one new Machine in the deleted one\'s place', async () => {
    const live = poolMachines('workers');
    return live.length === 3 && live.filter((m) => m.spec.version === 'v1.37.0').length === 1 && !live.some((m) => m.metadata.name === first!.metadata.name);
  });
  for (const m of rest) await env.client.delete({ ...MACHINE_GVK, metadata: { name: m.metadata.name, namespace: 'default' } });
  await converged('workers', 3, 'v1.37.0');
  await env.client.patch(ref('workers'), { spec: { strategy: { type: 'RollingUpdate' } } });
});

test('progressDeadlineSeconds: a rollout whose new Machines never become available says so, then recovers', async () => {
  ready.stop();
  await env.client.patch(ref('workers'), { spec: { progressDeadlineSeconds: 2, template: { metadata: { annotations: { 'example.com/rev': 'b' } } } } });
  const stuck = await eventually('ProgressDeadlineExceeded', async () => {
    const c = (await getMD('workers')).status?.conditions?.find((x) => x.type === 'Progressing');
    return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
  }, 20_000);
  assert.equal(stuck.status, 'False');
  assert.match(stuck.message ?? '', /progress deadline of 2s exceeded; MachineSet \S+: 1 of 3 Machines updated, 3 available, 3 old/);
  await eventually('a ProgressDeadlineExceeded Event', async () => {
    const ev = await env.client.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    return ev.items.some((e) => e.reason === 'ProgressDeadlineExceeded' && e.involvedObject?.name === 'workers');
  });
  ready = fakeReadiness(env.client);
  await converged('workers', 3, 'v1.37.0');
  assert.equal((await getMD('workers')).status?.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewMachineSetAvailable');
});
