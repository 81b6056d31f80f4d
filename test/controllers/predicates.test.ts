/**
 * Which Cluster and Machine changes wake which controller (controllers/shared/predicates.ts), and the spec.clusterName
 * index a Cluster's objects are found by (controllers/shared/cluster-index.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, Machine } from '../../api/v1alpha1/index.js';
import { CLUSTER_NAME_INDEX, objectsOfCluster } from '../../controllers/shared/cluster-index.js';
import { MACHINE_GVK } from '../../controllers/shared/gvk.js';
import { clusterChangeForMachineDeployments, clusterChangeForMachines, machineChangeForCluster, pausedChanged } from '../../controllers/shared/predicates.js';
import { Store } from '../../runtime/cache/store.js';
import type { Predicate } from '../../runtime/controller.js';
import type { KubeObject } from '../../runtime/types.js';

const update = (p: Predicate, o: object, n: object): boolean => p.update?.(o as KubeObject, n as KubeObject) ?? true;

const cluster = (over: { generation?: number; status?: Cluster['status']; paused?: boolean; deleting?: boolean } = {}): Cluster => ({
  apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster',
  metadata: { name: 'demo', namespace: 'default', generation: over.generation ?? 1, ...(over.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { infrastructure: { provider: 'inmemory' }, ...(over.paused ? { paused: true } : {}) },
  status: over.status ?? { phase: 'Provisioned', infrastructureReady: true, controlPlaneInitialized: false },
});

const machine = (name: string, cp: boolean, status: Machine['status'] = {}): Machine => ({
  metadata: { name, namespace: 'default', labels: { 'clusterd.dev/cluster-name': 'demo', ...(cp ? { 'clusterd.dev/control-plane': '' } : {}) } },
  spec: { clusterName: 'demo', version: 'v1.36.0', providerID: `inmemory://${name}` },
  status,
});

describe('Cluster changes that wake its Machines', () => {
  const base = cluster();

  it('a status write that changes nothing Machines act on wakes none', () => {
    const next = cluster({ status: { ...base.status, phase: 'Provisioned', conditions: [{ type: 'Ready', status: 'False', reason: 'NotReady' }] } });
    assert.equal(update(clusterChangeForMachines, base, next), false);
  });

  it('the control plane initialising, infrastructure readiness, a spec change, pausing and deletion do', () => {
    assert.equal(update(clusterChangeForMachines, base, cluster({ status: { ...base.status, controlPlaneInitialized: true } })), true);
    assert.equal(update(clusterChangeForMachines, base, cluster({ status: { ...base.status, infrastructureReady: false } })), true);
    assert.equal(update(clusterChangeForMachines, base, cluster({ generation: 2 })), true);
    assert.equal(update(clusterChangeForMachines, base, cluster({ paused: true })), true);
    assert.equal(update(clusterChangeForMachines, base, cluster({ deleting: true })), true);
  });

  it('MachineSets wake on pausing alone; MachineDeployments also on the control plane\'s version', () => {
    assert.equal(update(pausedChanged, base, cluster({ generation: 2 })), false);
    assert.equal(update(pausedChanged, base, cluster({ paused: true })), true);
    const cpAt = (v: string): Cluster => cluster({ status: { ...base.status, controlPlane: { version: v } } });
    assert.equal(update(clusterChangeForMachineDeployments, cpAt('v1.36.0'), cpAt('v1.36.0')), false);
    assert.equal(update(clusterChangeForMachineDeployments, cpAt('v1.36.0'), cpAt('v1.37.0')), true);
  });
});

describe('Machine changes that wake their Cluster', () => {
  const ready = (lastTransitionTime: string): Machine['status'] => ({ phase: 'Running', nodeRef: { name: 'n' }, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime }] });

  it('a worker\'s status writes do not', () => {
    assert.equal(update(machineChangeForCluster, machine('w', false), machine('w', false, ready('2026-01-01T00:00:00Z'))), false);
  });

  it('a control-plane Machine\'s progress reports do not, until what the control plane is made of changes', () => {
    const a = machine('cp', true, { phase: 'Provisioning', conditions: [{ type: 'BootstrapReady', status: 'True' }] });
    const b = machine('cp', true, { phase: 'Provisioning', conditions: [{ type: 'BootstrapReady', status: 'True' }, { type: 'InfrastructureReady', status: 'False', reason: 'Provisioning' }] });
    assert.equal(update(machineChangeForCluster, a, b), false);
    assert.equal(update(machineChangeForCluster, b, machine('cp', true, ready('2026-01-01T00:00:00Z'))), true, 'became Ready');
  });

  it('a Machine appearing or going always does (no create or delete filter)', () => {
    assert.equal(machineChangeForCluster.create, undefined);
    assert.equal(machineChangeForCluster.delete, undefined);
    const going = machine('w', false);
    going.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.equal(update(machineChangeForCluster, machine('w', false), going), true);
  });
});

describe('the spec.clusterName index', () => {
  it('maps a Cluster to its objects of a kind, registered once however often it is asked for', () => {
    const store = new Store();
    const src = { cache: { getInformer: () => ({ store, addIndexer: (n: string, f: Parameters<Store['addIndexer']>[1]) => store.addIndexer(n, f) }) } };
    const map = objectsOfCluster(src, MACHINE_GVK);
    assert.doesNotThrow(() => objectsOfCluster(src, MACHINE_GVK), 'a second registration is a no-op');
    assert.ok(store.hasIndex(CLUSTER_NAME_INDEX));
    store.upsert(machine('a', false) as unknown as KubeObject);
    store.upsert(machine('b', true) as unknown as KubeObject);
    const other = machine('c', false);
    other.spec.clusterName = 'other';
    store.upsert(other as unknown as KubeObject);
    const elsewhere = machine('d', false);
    elsewhere.metadata.namespace = 'prod';
    store.upsert(elsewhere as unknown as KubeObject);
    assert.deepEqual(map(cluster() as unknown as KubeObject).map((r) => r.name).sort(), ['a', 'b']);
  });
});
