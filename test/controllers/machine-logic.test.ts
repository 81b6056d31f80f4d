import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, Machine } from '../../api/v1alpha1/index.js';
import { decideRole } from '../../controllers/machine/role.js';
import { machinePhase } from '../../controllers/machine/phase.js';
import { encodeProvisionedSpec, immutableFieldChanges } from '../../controllers/machine/immutable.js';
import { isMachineReady } from '../../controllers/machine/ready.js';

const cluster = (initialized: boolean, initMachine?: string): Cluster => ({
  metadata: { name: 'demo', namespace: 'default', annotations: initMachine ? { 'clusterd.dev/init-machine': initMachine } : {} },
  spec: { infrastructure: { provider: 'inmemory' } },
  status: { controlPlaneInitialized: initialized },
});
const machine = (name: string, cp: boolean): Machine => ({
  metadata: { name, namespace: 'default', labels: cp ? { 'clusterd.dev/control-plane': '' } : {} },
  spec: { clusterName: 'demo', version: 'v1.34.2' },
});

describe('decideRole', () => {
  it('workers wait for the control plane, then join', () => {
    assert.ok('wait' in decideRole(machine('w', false), cluster(false), false));
    assert.deepEqual(decideRole(machine('w', false), cluster(true), false), { role: 'join-worker' });
  });

  it('the first control-plane machine claims init; others wait and then join', () => {
    assert.deepEqual(decideRole(machine('a', true), cluster(false), false), { claimInit: true });
    assert.deepEqual(decideRole(machine('a', true), cluster(false, 'a'), true), { role: 'init' });
    assert.ok('wait' in decideRole(machine('b', true), cluster(false, 'a'), true));
    assert.deepEqual(decideRole(machine('b', true), cluster(false, 'a'), false), { claimInit: true });
    assert.deepEqual(decideRole(machine('b', true), cluster(true, 'a'), true), { role: 'join-control-plane' });
  });

  it('the init machine joins instead when re-bootstrapped after initialisation', () => {
    assert.deepEqual(decideRole(machine('a', true), cluster(true, 'a'), true), { role: 'join-control-plane' });
  });
});

describe('machinePhase', () => {
  const o = { deleting: false, failed: false, bootstrapReady: false, hasProviderID: false, infrastructureReady: false, hasNodeRef: false };
  it('walks Pending → Provisioning → Provisioned → Running', () => {
    assert.equal(machinePhase(o), 'Pending');
    assert.equal(machinePhase({ ...o, bootstrapReady: true }), 'Provisioning');
    assert.equal(machinePhase({ ...o, bootstrapReady: true, hasProviderID: true, infrastructureReady: true }), 'Provisioned');
    assert.equal(machinePhase({ ...o, bootstrapReady: true, hasProviderID: true, infrastructureReady: true, hasNodeRef: true }), 'Running');
  });
  it('Failed and Deleting win', () => {
    assert.equal(machinePhase({ ...o, hasNodeRef: true, failed: true }), 'Failed');
    assert.equal(machinePhase({ ...o, failed: true, deleting: true }), 'Deleting');
  });
});

describe('immutability of provisioned Machines', () => {
  it('reports changed version and infrastructure against what was provisioned', () => {
    const m = machine('w', false);
    m.spec.infrastructure = { config: { flavor: 'small' } };
    m.metadata.annotations = { 'clusterd.dev/provisioned-spec': encodeProvisionedSpec(m) };
    assert.deepEqual(immutableFieldChanges(m), []);
    m.spec.version = 'v1.35.0';
    m.spec.infrastructure = { config: { flavor: 'large' } };
    assert.deepEqual(immutableFieldChanges(m), ['spec.version', 'spec.infrastructure']);
  });
  it('nothing recorded means nothing changed', () => {
    assert.deepEqual(immutableFieldChanges(machine('w', false)), []);
  });
});

describe('isMachineReady', () => {
  it('is the Ready condition', () => {
    const m = machine('w', false);
    assert.equal(isMachineReady({ ...m, status: { conditions: [{ type: 'Ready', status: 'True' }] } }), true);
    assert.equal(isMachineReady({ ...m, status: { conditions: [{ type: 'Ready', status: 'False' }] } }), false);
    assert.equal(isMachineReady(m), false);
  });
});
