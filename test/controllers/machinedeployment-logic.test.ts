import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Annotations, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { templateHash } from '../../controllers/shared/template-hash.js';
import { proportionalScale } from '../../controllers/machinedeployment/proportional.js';
import { newMachineSetReplicas, oldMachineSetsScaleDown } from '../../controllers/machinedeployment/rolling.js';
import { resolveStrategy } from '../../controllers/machinedeployment/strategy.js';
import { checkVersionSkew, oldestControlPlaneVersion } from '../../controllers/machinedeployment/version-skew.js';
import { selectMachinesToDelete } from '../../controllers/machineset/delete-policy.js';

const ms = (name: string, replicas: number, available: number, created: string, annotations: Record<string, string> = {}): MachineSet => ({
  metadata: { name, uid: name, creationTimestamp: created, annotations },
  spec: { clusterName: 'c', replicas, selector: {}, template: { spec: { clusterName: 'c' } } },
  status: { replicas, availableReplicas: available },
});
const md = (rollingUpdate: Record<string, number | string>, replicas = 4): MachineDeployment => ({
  metadata: { name: 'md' },
  spec: { clusterName: 'c', replicas, selector: {}, template: { spec: { clusterName: 'c' } }, strategy: { type: 'RollingUpdate', rollingUpdate } },
});

test('strategy: surge rounds up, unavailable rounds down, both zero is rejected naming the field', () => {
  assert.deepEqual(resolveStrategy(md({ maxSurge: '25%', maxUnavailable: '25%' }, 10)), { type: 'RollingUpdate', maxSurge: 3, maxUnavailable: 2 });
  assert.throws(() => resolveStrategy(md({ maxSurge: 0, maxUnavailable: '10%' }, 5)), /maxSurge and maxUnavailable both resolve to 0/);
  assert.throws(() => resolveStrategy(md({ maxSurge: 'lots' })), /spec\.strategy\.rollingUpdate\.maxSurge/);
});

test('rolling: the new set grows only within surge; old sets shrink only within availability', () => {
  const s = { type: 'RollingUpdate' as const, maxSurge: 1, maxUnavailable: 0 };
  const old = ms('old', 3, 3, '2024-01-01T00:00:00Z');
  const fresh = ms('new', 0, 0, '2024-01-02T00:00:00Z');
  assert.equal(newMachineSetReplicas(3, [old, fresh], fresh, s), 1);
  assert.equal(newMachineSetReplicas(3, [old, ms('new', 1, 0, '2024-01-02T00:00:00Z')], ms('new', 1, 0, '2024-01-02T00:00:00Z'), s), 1);
  // New Machine not available yet: nothing old may go.
  const pending = ms('new', 1, 0, '2024-01-02T00:00:00Z');
  assert.equal(oldMachineSetsScaleDown(3, [old, pending], pending, [old], s).size, 0);
  const up = ms('new', 1, 1, '2024-01-02T00:00:00Z');
  assert.deepEqual([...oldMachineSetsScaleDown(3, [old, up], up, [old], s)], [['old', 2]]);
});

test('proportional scaling spreads a change over active sets by their max-replicas annotation', () => {
  const ann = { [Annotations.desiredReplicas]: '4', [Annotations.maxReplicas]: '5' };
  const old = ms('old', 3, 3, '2024-01-01T00:00:00Z', ann);
  const fresh = ms('new', 2, 0, '2024-01-02T00:00:00Z', ann);
  const sizes = proportionalScale(8, 2, fresh, [old], 5);
  assert.equal((sizes.get('old') ?? 3) + (sizes.get('new') ?? 2), 10);
  assert.ok((sizes.get('old') ?? 3) > 3 && (sizes.get('new') ?? 2) > 2);
});

test('version skew, on minors: a newer minor than the control plane is held, a newer patch of its minor is not', () => {
  assert.equal(checkVersionSkew({ target: 'v1.36.0', controlPlane: 'v1.35.4' }).reason, 'ControlPlaneVersionBehind');
  // the bug this replaces: a patch bump of the workers was held while the control plane ran an older patch
  assert.deepEqual(checkVersionSkew({ target: 'v1.34.3', controlPlane: 'v1.34.2' }).ok, true);
  assert.equal(checkVersionSkew({ target: 'v1.34.0', controlPlane: 'v1.37.2' }).ok, true, 'three minors older is within the policy');
  assert.equal(checkVersionSkew({ target: 'v1.33.0', controlPlane: 'v1.37.2' }).reason, 'WorkerVersionTooOld');
  assert.equal(checkVersionSkew({ target: 'v1.37.2', controlPlane: undefined }).reason, 'ControlPlaneVersionUnknown');
  assert.equal(checkVersionSkew({ target: undefined, controlPlane: 'v1.37.2' }).ok, true);
});

test('a control plane without a managed spec is as old as its oldest member, compared as versions (v1.34.9 < v1.34.10)', () => {
  const m = (spec: string, status?: string): { spec: { version?: string }; status?: { version?: string } } => ({ spec: { version: spec }, ...(status ? { status: { version: status } } : {}) });
  assert.equal(oldestControlPlaneVersion([m('v1.34.10'), m('v1.34.9')]), 'v1.34.9');
  assert.equal(oldestControlPlaneVersion([m('v1.34.10'), m('v1.34.10', 'v1.34.11')]), 'v1.34.10');
  assert.equal(oldestControlPlaneVersion([]), undefined);
});

test('template hash ignores the hash label and changes with the template', () => {
  const t = { metadata: { labels: { a: 'b' } }, spec: { clusterName: 'c', version: 'v1.34.0' } };
  const h = templateHash(t);
  assert.equal(templateHash({ ...t, metadata: { labels: { a: 'b', 'machine-template-hash': h } } }), h);
  assert.notEqual(templateHash({ ...t, spec: { ...t.spec, version: 'v1.34.1' } }), h);
  assert.match(h, /^[a-z0-9]+$/);
});

test('delete policy: annotated, then failed, then not ready, then by policy', () => {
  const m = (name: string, created: string, extra: Partial<Machine> = {}): Machine => ({
    metadata: { name, uid: name, creationTimestamp: created, ...extra.metadata },
    spec: { clusterName: 'c' },
    status: { phase: 'Running', nodeRef: { name }, ...extra.status },
  });
  const machines = [
    m('old', '2024-01-01T00:00:00Z'), m('new', '2024-01-03T00:00:00Z'), m('mid', '2024-01-02T00:00:00Z'),
    m('marked', '2024-01-02T00:00:00Z', { metadata: { annotations: { [Annotations.deleteMachine]: '' } } }),
    m('failed', '2024-01-02T00:00:00Z', { status: { phase: 'Failed' } }),
  ];
  assert.deepEqual(selectMachinesToDelete(machines, 3, 'Oldest').map((x) => x.metadata.name), ['marked', 'failed', 'old']);
  assert.deepEqual(selectMachinesToDelete(machines, 3, 'Newest').map((x) => x.metadata.name), ['marked', 'failed', 'new']);
});
