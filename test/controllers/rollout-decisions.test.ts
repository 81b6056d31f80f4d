/** The pure rollout decisions the MachineDeployment and MachineSet reconcilers carry out, one case at a time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Annotations, Labels, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { templateHash } from '../../controllers/shared/template-hash.js';
import { rolloutOnDelete } from '../../controllers/machinedeployment/ondelete.js';
import { newMachineSetReplicas, rolloutRolling } from '../../controllers/machinedeployment/rolling.js';
import { decideRollout, historyToDelete, resizePatches } from '../../controllers/machinedeployment/sync.js';
import { decideReplicas, frozenByOnDelete } from '../../controllers/machineset/replicas.js';

const ms = (name: string, spec: number, status: number, available: number, extra: { created?: string; revision?: number; generation?: number; observed?: number; annotations?: Record<string, string> } = {}): MachineSet => ({
  metadata: {
    name, uid: name, creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z', generation: extra.generation ?? 1,
    annotations: { [Annotations.revision]: String(extra.revision ?? 1), ...extra.annotations },
  },
  spec: { clusterName: 'c', replicas: spec, selector: {}, template: { spec: { clusterName: 'c' } } },
  status: { replicas: status, availableReplicas: available, observedGeneration: extra.observed ?? extra.generation ?? 1 },
});
const rolling = (maxSurge: number, maxUnavailable: number) => ({ type: 'RollingUpdate' as const, maxSurge, maxUnavailable });
const annotated = (desired: number, max: number) => ({ [Annotations.desiredReplicas]: String(desired), [Annotations.maxReplicas]: String(max) });

test('rolling: an old MachineSet counts with the Machines it still has, not just its new size (no overshoot in the gap)', () => {
  // ms1 was scaled 3 -> 2 but its controller has not deleted yet: 3 + 1 Machines exist, surge 1 is used up.
  const old = ms('ms1', 2, 3, 3);
  const fresh = ms('ms2', 1, 1, 1, { created: '2026-01-02T00:00:00Z' });
  assert.equal(newMachineSetReplicas(3, [fresh, old], fresh, rolling(1, 0)), 1);
  // Once it has deleted, the new set may take the slot.
  assert.equal(newMachineSetReplicas(3, [fresh, ms('ms1', 2, 2, 2)], fresh, rolling(1, 0)), 2);
});

test('rolling: grow the new set first, then wait for current statuses, then shrink the old within availability', () => {
  const fresh = ms('ms2', 0, 0, 0, { created: '2026-01-02T00:00:00Z' });
  const grow = rolloutRolling(3, fresh, [ms('ms1', 3, 3, 3)], rolling(1, 0));
  assert.deepEqual(grow, { kind: 'resize', sizes: new Map([['ms2', 1]]), annotateOthers: false, cleanup: true });
  const stale = ms('ms2', 1, 0, 0, { created: '2026-01-02T00:00:00Z', generation: 2, observed: 1 });
  assert.deepEqual(rolloutRolling(3, stale, [ms('ms1', 3, 3, 3)], rolling(1, 0)), { kind: 'wait', cleanup: true });
  const up = ms('ms2', 1, 1, 1, { created: '2026-01-02T00:00:00Z' });
  assert.deepEqual(rolloutRolling(3, up, [ms('ms1', 3, 3, 3)], rolling(1, 0)), { kind: 'resize', sizes: new Map([['ms1', 2]]), annotateOthers: true, cleanup: true });
});

test('OnDelete: old sets shrink to the Machines the user left them, then the new set takes the slots', () => {
  const fresh = ms('ms2', 0, 0, 0, { created: '2026-01-02T00:00:00Z' });
  // The user deleted one of ms1's three Machines: ms1 goes to 2 first ...
  assert.deepEqual(rolloutOnDelete(3, fresh, [ms('ms1', 3, 2, 2)]), { kind: 'resize', sizes: new Map([['ms1', 2]]), annotateOthers: true, cleanup: true });
  // ... then ms2 gets the freed slot.
  assert.deepEqual(rolloutOnDelete(3, fresh, [ms('ms1', 2, 2, 2)]), { kind: 'resize', sizes: new Map([['ms2', 1]]), annotateOthers: true, cleanup: true });
  // A status that has not seen the last spec: wait.
  assert.equal(rolloutOnDelete(3, fresh, [ms('ms1', 2, 3, 3, { generation: 2, observed: 1 })]).kind, 'wait');
});

test('decideRollout: creates the new set (with all replicas only when there is no old one), scales proportionally on a scaling event', () => {
  assert.deepEqual(decideRollout({ desired: 3, newMS: undefined, old: [], strategy: rolling(1, 0), statusReplicas: 0 }), { kind: 'create', replicas: 3, revision: 1 });
  assert.deepEqual(decideRollout({ desired: 3, newMS: undefined, old: [ms('ms1', 3, 3, 3, { revision: 4 })], strategy: rolling(1, 0), statusReplicas: 3 }), { kind: 'create', replicas: 0, revision: 5 });
  const old = ms('ms1', 3, 3, 3, { annotations: annotated(6, 7) });
  const fresh = ms('ms2', 3, 3, 3, { created: '2026-01-02T00:00:00Z', annotations: annotated(6, 7) });
  const step = decideRollout({ desired: 12, newMS: fresh, old: [old], strategy: rolling(1, 0), statusReplicas: 6 });
  assert.equal(step.kind, 'resize');
  if (step.kind !== 'resize') return;
  assert.equal(step.cleanup, false, 'no cleanup in the pass that scales');
  assert.equal((step.sizes.get('ms1') ?? 3) + (step.sizes.get('ms2') ?? 3), 13, 'the new total is replicas + maxSurge');
});

test('a scaling event waits until every MachineSet has deleted down to its spec (else the total passes replicas + maxSurge)', () => {
  // ms1 was scaled 3 -> 0 and its controller has not looked yet (generation 2, observed 1): it still has 3 Machines.
  const old = ms('ms1', 0, 3, 3, { generation: 2, observed: 1, annotations: annotated(3, 4) });
  const fresh = ms('ms2', 1, 1, 1, { created: '2026-01-02T00:00:00Z', annotations: annotated(3, 4) });
  assert.deepEqual(decideRollout({ desired: 12, newMS: fresh, old: [old], strategy: rolling(1, 3), statusReplicas: 4 }), { kind: 'wait', cleanup: false });
  const caughtUp = ms('ms1', 0, 0, 0, { generation: 2, observed: 2, annotations: annotated(3, 4) });
  const step = decideRollout({ desired: 12, newMS: fresh, old: [caughtUp], strategy: rolling(1, 3), statusReplicas: 1 });
  assert.deepEqual(step, { kind: 'resize', sizes: new Map([['ms2', 12]]), annotateOthers: true, cleanup: false });
});

test('resizePatches: sized sets get replicas and annotations, others only annotations (and only when asked and active)', () => {
  const a = ms('a', 2, 2, 2);
  const b = ms('b', 1, 1, 1, { annotations: annotated(3, 4) });
  const c = ms('c', 0, 0, 0);
  const patches = resizePatches(3, 1, [a, b, c], new Map([['b', 2]]), true);
  assert.deepEqual(patches.map((p) => [p.ms.metadata.name, p.replicas]), [['a', undefined], ['b', 2]]);
  assert.deepEqual(resizePatches(3, 1, [a, b, c], new Map([['b', 2]]), false).map((p) => p.ms.metadata.name), ['b']);
});

test('historyToDelete: idle old sets beyond the limit, oldest revision first; never one still holding Machines', () => {
  const sets = [ms('r3', 0, 0, 0, { revision: 3 }), ms('r1', 0, 0, 0, { revision: 1 }), ms('r2', 0, 0, 0, { revision: 2 }), ms('busy', 0, 1, 1, { revision: 0 })];
  assert.deepEqual(historyToDelete(sets, 1).map((s) => s.metadata.name), ['r1', 'r2']);
  assert.deepEqual(historyToDelete(sets, 5), []);
});

test('decideReplicas: creates up to the cap, deletes by policy, and an OnDelete-frozen set creates nothing', () => {
  const m = (name: string, deleting = false): Machine => ({
    metadata: { name, uid: name, creationTimestamp: `2026-01-01T00:00:0${name.slice(1)}Z`, ...(deleting ? { deletionTimestamp: '2026-01-02T00:00:00Z' } : {}) },
    spec: { clusterName: 'c' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  });
  const set = { ...ms('s', 5, 0, 0), spec: { ...ms('s', 5, 0, 0).spec, deletePolicy: 'Oldest' as const } };
  assert.deepEqual(decideReplicas(set, [m('m1'), m('m2', true)], false, 10), { kind: 'create', count: 4 }, 'a Machine being deleted no longer counts');
  assert.deepEqual(decideReplicas(set, [], false, 3), { kind: 'create', count: 3 });
  assert.deepEqual(decideReplicas(set, [m('m1')], true, 10), { kind: 'none' });
  const shrink = { ...set, spec: { ...set.spec, replicas: 1 } };
  const out = decideReplicas(shrink, [m('m3'), m('m1'), m('m2')], false, 10);
  assert.deepEqual(out.kind === 'delete' ? out.machines.map((x) => x.metadata.name) : out, ['m1', 'm2']);
});

test('frozenByOnDelete: only an outdated MachineSet controlled by an OnDelete MachineDeployment', () => {
  const md: MachineDeployment = {
    metadata: { name: 'md', uid: 'md-uid' },
    spec: { clusterName: 'c', selector: {}, template: { spec: { clusterName: 'c', version: 'v1.37.0' } }, strategy: { type: 'OnDelete' } },
  };
  const owned = (hash: string): MachineSet => ({
    ...ms('s', 1, 1, 1),
    metadata: { name: 's', labels: { [Labels.templateHash]: hash }, ownerReferences: [{ apiVersion: 'v', kind: 'MachineDeployment', name: 'md', uid: 'md-uid', controller: true }] },
  });
  assert.equal(frozenByOnDelete(owned('old-hash'), md), true);
  assert.equal(frozenByOnDelete(owned(templateHash(md.spec.template)), md), false);
  assert.equal(frozenByOnDelete(owned('old-hash'), { ...md, spec: { ...md.spec, strategy: { type: 'RollingUpdate' } } }), false);
  assert.equal(frozenByOnDelete(owned('old-hash'), { ...md, metadata: { ...md.metadata, uid: 'another' } }), false);
  assert.equal(frozenByOnDelete(owned('old-hash'), undefined), false);
});
