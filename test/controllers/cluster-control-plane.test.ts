import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { controlPlaneCounts, controlPlaneVersionProblem, nextControlPlaneAction, scaleDownVictim, templateHash, type CPDesired, type CPMember } from '../../controllers/cluster/control-plane.js';
import { nextDeletionStep } from '../../controllers/cluster/deletion.js';

const d: CPDesired = { replicas: 3, version: 'v1.34.2', templateHash: 'h1' };
let t = 0;
const m = (name: string, over: Partial<CPMember> = {}): CPMember => ({
  name, creationTimestamp: `2024-01-01T00:00:${String(t++ % 60).padStart(2, '0')}Z`, deleting: false, ready: true, failed: false,
  version: 'v1.34.2', templateHash: 'h1', ...over,
});

describe('nextControlPlaneAction', () => {
  it('creates the init member first and nothing else until initialised', () => {
    assert.deepEqual(nextControlPlaneAction([], d, false), { type: 'create', role: 'init' });
    const a = nextControlPlaneAction([m('a', { ready: false })], d, false);
    assert.equal(a.type, 'wait');
    assert.equal(nextControlPlaneAction([m('a')], d, false).type, 'wait');
  });

  it('adds joining members one at a time, each after the previous is Ready', () => {
    assert.deepEqual(nextControlPlaneAction([m('a')], d, true), { type: 'create', role: 'join' });
    assert.equal(nextControlPlaneAction([m('a'), m('b', { ready: false })], d, true).type, 'wait');
    assert.deepEqual(nextControlPlaneAction([m('a'), m('b')], d, true), { type: 'create', role: 'join' });
    assert.deepEqual(nextControlPlaneAction([m('a'), m('b'), m('c')], d, true), { type: 'none' });
  });

  it('rolls outdated members: surge one, then remove the oldest outdated', () => {
    const up = { ...d, version: 'v1.35.0' };
    const a = m('a'); const b = m('b'); const c = m('c');
    assert.deepEqual(nextControlPlaneAction([a, b, c], up, true), { type: 'create', role: 'join' });
    const n1 = m('n1', { version: 'v1.35.0', ready: false });
    assert.equal(nextControlPlaneAction([a, b, c, n1], up, true).type, 'wait');
    n1.ready = true;
    assert.deepEqual(nextControlPlaneAction([c, b, a, n1], up, true), { type: 'delete', machine: 'a', reason: 'Outdated' });
    assert.equal(nextControlPlaneAction([{ ...a, deleting: true }, b, c, n1], up, true).type, 'wait');
    assert.deepEqual(nextControlPlaneAction([b, c, n1], up, true), { type: 'create', role: 'join' });
  });

  it('holds a version two minors away (up or down) with the reason, and rolls one minor or a patch', () => {
    const members = [m('a', { version: 'v1.35.4' }), m('b', { version: 'v1.35.4' }), m('c', { version: 'v1.35.4' })];
    const jump = nextControlPlaneAction(members, { ...d, version: 'v1.37.2' }, true);
    assert.equal(jump.type, 'wait');
    assert.equal(jump.type === 'wait' && jump.reason, 'ControlPlaneMinorJumpTooLarge');
    assert.match(jump.type === 'wait' ? jump.message : '', /from v1\.35\.4 to v1\.37\.2: it upgrades one minor version at a time \(to v1\.36\.x first\)/);
    assert.equal(controlPlaneVersionProblem(members, { ...d, version: 'v1.37.2' })?.reason, 'ControlPlaneMinorJumpTooLarge');
    assert.deepEqual(nextControlPlaneAction(members, { ...d, version: 'v1.36.3' }, true), { type: 'create', role: 'join' });
    assert.deepEqual(nextControlPlaneAction(members, { ...d, version: 'v1.35.9' }, true), { type: 'create', role: 'join' });
    const down = nextControlPlaneAction([m('a', { version: 'v1.37.2' })], { ...d, version: 'v1.35.0' }, true);
    assert.equal(down.type === 'wait' && down.reason, 'ControlPlaneDowngradeTooLarge');
    // mid-rollout to v1.36.3, a second bump to v1.37.2 waits for the last v1.35 member to go
    const mid = [m('a', { version: 'v1.35.4' }), m('n1', { version: 'v1.36.3' })];
    assert.equal(controlPlaneVersionProblem(mid, { ...d, version: 'v1.37.2' })?.reason, 'ControlPlaneMinorJumpTooLarge');
    assert.equal(controlPlaneVersionProblem([m('n1', { version: 'v1.36.3' }), m('a', { version: 'v1.35.4', deleting: true })], { ...d, version: 'v1.37.2' }), undefined);
  });

  it('replaces members on a template change too', () => {
    const changed = { ...d, templateHash: 'h2' };
    assert.deepEqual(nextControlPlaneAction([m('a'), m('b'), m('c')], changed, true), { type: 'create', role: 'join' });
  });

  it('scales down one at a time and never below one', () => {
    const one = { ...d, replicas: 1 };
    const a = m('a'); const b = m('b'); const c = m('c');
    assert.deepEqual(nextControlPlaneAction([a, b, c], one, true), { type: 'delete', machine: 'a', reason: 'ScaleDown' });
    assert.deepEqual(nextControlPlaneAction([a], { ...one, replicas: 0 }, true), { type: 'none' });
  });

  it('prefers outdated, then annotated, then not-Ready members as scale-down victims', () => {
    const a = m('a'); const b = m('b', { markedForDeletion: true }); const c = m('c', { ready: false });
    assert.equal(scaleDownVictim([a, b, c], d)?.name, 'b');
    assert.equal(scaleDownVictim([a, c], d)?.name, 'c');
    assert.equal(scaleDownVictim([a, b, m('old', { version: 'v1.37.0' })], d)?.name, 'old');
  });

  it('replaces a failed member but never the last one', () => {
    assert.deepEqual(nextControlPlaneAction([m('a'), m('b', { failed: true, ready: false })], d, true), { type: 'delete', machine: 'b', reason: 'Failed' });
    assert.deepEqual(nextControlPlaneAction([m('a', { failed: true, ready: false })], d, false), { type: 'delete', machine: 'a', reason: 'Failed' });
  });

  it('counts ready and updated members, ignoring those being deleted', () => {
    const c = controlPlaneCounts([m('a'), m('b', { ready: false, version: 'v1.37.0' }), m('c', { deleting: true })], d);
    assert.deepEqual(c, { replicas: 2, readyReplicas: 1, updatedReplicas: 1 });
  });
});

describe('templateHash', () => {
  it('changes with infrastructure and bootstrap, not with key order or dataSecretName', () => {
    const base = templateHash({ version: 'v1.34.2', machineTemplate: { infrastructure: { config: { a: 1, b: 2 } } } });
    assert.equal(templateHash({ version: 'v1.34.2', machineTemplate: { infrastructure: { config: { b: 2, a: 1 } } } }), base);
    assert.notEqual(templateHash({ version: 'v1.34.2', machineTemplate: { infrastructure: { config: { a: 1, b: 3 } } } }), base);
    assert.equal(templateHash({ version: 'v1.34.2', machineTemplate: { infrastructure: { config: { a: 1, b: 2 } }, bootstrap: { dataSecretName: 'x' } } }), base);
  });
});

describe('nextDeletionStep', () => {
  it('tears down deployments, sets, workers, control plane, then infrastructure', () => {
    assert.equal(nextDeletionStep({ machineDeployments: 1, machineSets: 1, workerMachines: 1, controlPlaneMachines: 1 }), 'MachineDeployments');
    assert.equal(nextDeletionStep({ machineDeployments: 0, machineSets: 1, workerMachines: 1, controlPlaneMachines: 1 }), 'MachineSets');
    assert.equal(nextDeletionStep({ machineDeployments: 0, machineSets: 0, workerMachines: 2, controlPlaneMachines: 1 }), 'WorkerMachines');
    assert.equal(nextDeletionStep({ machineDeployments: 0, machineSets: 0, workerMachines: 0, controlPlaneMachines: 3 }), 'ControlPlaneMachines');
    assert.equal(nextDeletionStep({ machineDeployments: 0, machineSets: 0, workerMachines: 0, controlPlaneMachines: 0 }), 'Infrastructure');
  });
});
