import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from '../../apiserver/patch/index.js';

const cm = () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: '1', b: '2' } }, data: { x: 'y' }, list: [1, 2, 3] });

describe('json patch', () => {
  it('applies add/remove/replace/move/copy/test without touching the input', () => {
    const doc = cm();
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/data/new', value: 'v' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'replace', path: '/list/0', value: 9 },
      { op: 'add', path: '/list/-', value: 4 },
      { op: 'copy', from: '/data/x', path: '/data/x2' },
      { op: 'move', from: '/data/new', path: '/data/moved' },
      { op: 'test', path: '/data/moved', value: 'v' },
      { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': 'd' } },
      { op: 'remove', path: '/metadata/annotations/a~0b~1c' },
    ]);
    assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { b: '2' }, annotations: {} }, data: { x: 'y', x2: 'y', moved: 'v' }, list: [9, 2, 3, 4] });
    assert.deepEqual(doc, cm());
  });
  it('reports failures like evanphx/json-patch with 422, undecodable patches with 400', () => {
    assert.throws(() => applyJsonPatch(cm(), [{ op: 'test', path: '/data/x', value: 'z' }]), (e: unknown) => e instanceof PatchError && e.code === 422 && e.message === 'testing value /data/x failed: test failed');
    assert.throws(() => applyJsonPatch(cm(), [{ op: 'replace', path: '/data/missing', value: 1 }]), (e: unknown) => e instanceof PatchError && e.code === 422 && /replace operation does not apply: doc is missing key: \/data\/missing/.test(e.message));
    assert.throws(() => applyJsonPatch(cm(), [{ op: 'remove', path: '/nope/deeper' }]), (e: unknown) => e instanceof PatchError && e.code === 422 && /missing/.test(e.message));
    assert.throws(() => applyJsonPatch(cm(), { op: 'add' }), (e: unknown) => e instanceof PatchError && e.code === 400);
    assert.throws(() => applyJsonPatch(cm(), [{ op: 'frob', path: '/x' }]), (e: unknown) => e instanceof PatchError && /Unexpected kind: frob/.test(e.message));
  });
});

describe('merge patch', () => {
  it('merges objects, null deletes, lists replace, input untouched', () => {
    const doc = cm();
    const out = applyMergePatch(doc, { metadata: { labels: { a: null, c: '3' } }, data: null, list: [7] });
    assert.deepEqual(out, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { b: '2', c: '3' } }, list: [7] });
    assert.deepEqual(doc, cm());
    (out.metadata as Record<string, unknown>).name = 'changed';
    assert.equal(doc.metadata.name, 'c');
  });
  it('rejects a non-object patch with 400', () => {
    assert.throws(() => applyMergePatch(cm(), [1]), (e: unknown) => e instanceof PatchError && e.code === 400);
  });
});

describe('strategic merge patch', () => {
  const node = () => ({
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'n', finalizers: ['a'], ownerReferences: [{ uid: 'u1', name: 'x', kind: 'K', apiVersion: 'v1' }] },
    spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'DiskPressure', status: 'False' }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  });
  it('merges Node conditions and addresses by type, finalizers as a set, ownerReferences by uid; taints replace', () => {
    const out = applyStrategicMergePatch(node(), {
      metadata: { finalizers: ['b', 'a'], ownerReferences: [{ uid: 'u1', name: 'y' }, { uid: 'u2', name: 'z', kind: 'K', apiVersion: 'v1' }] },
      spec: { taints: [{ key: 'other', effect: 'NoExecute' }] },
      status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'Hostname', address: 'n' }] },
    }, 'v1', 'Node') as ReturnType<typeof node>;
    assert.deepEqual(out.metadata.finalizers, ['a', 'b']);
    assert.deepEqual(out.metadata.ownerReferences.map((o) => [o.uid, o.name]), [['u1', 'y'], ['u2', 'z']]);
    assert.deepEqual(out.spec.taints, [{ key: 'other', effect: 'NoExecute' }]);
    assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }]);
    assert.deepEqual(out.status.addresses.map((a) => a.type), ['InternalIP', 'Hostname']);
  });
  it('honours $patch delete/replace, $deleteFromPrimitiveList, $setElementOrder and $retainKeys', () => {
    const out = applyStrategicMergePatch(node(), {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      status: {
        conditions: [{ type: 'DiskPressure', $patch: 'delete' }, { type: 'MemoryPressure', status: 'False' }],
        '$setElementOrder/conditions': [{ type: 'MemoryPressure' }, { type: 'Ready' }],
        addresses: [{ $patch: 'replace' }, { type: 'ExternalIP', address: '1.2.3.4' }],
      },
      spec: { $retainKeys: ['unschedulable'], unschedulable: true },
    }, 'v1', 'Node') as ReturnType<typeof node> & { spec: { unschedulable?: boolean } };
    assert.deepEqual(out.metadata.finalizers, []);
    assert.deepEqual(out.status.conditions, [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'False' }]);
    assert.deepEqual(out.status.addresses, [{ type: 'ExternalIP', address: '1.2.3.4' }]);
    assert.deepEqual(out.spec, { unschedulable: true });
  });
  it('treats RBAC subjects as atomic and merges labels like kubectl label', () => {
    const rb = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'r', labels: { a: '1' } },
      subjects: [{ kind: 'User', name: 'a' }], roleRef: { kind: 'Role', name: 'x', apiGroup: 'rbac.authorization.k8s.io' } };
    const out = applyStrategicMergePatch(rb, { metadata: { labels: { b: '2' } }, subjects: [{ kind: 'User', name: 'b' }] }, 'rbac.authorization.k8s.io/v1', 'RoleBinding');
    assert.deepEqual(out.subjects, [{ kind: 'User', name: 'b' }]);
    assert.deepEqual((out.metadata as { labels: unknown }).labels, { a: '1', b: '2' });
  });
  it('merges containers by name and env by name inside pod-shaped content', () => {
    const doc = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E', value: '1' }] }, { name: 'b', image: 'y' }] } };
    const out = applyStrategicMergePatch(doc, { spec: { containers: [{ name: 'a', image: 'x2', env: [{ name: 'F', value: '2' }] }] } }, 'v1', 'Pod') as typeof doc;
    assert.deepEqual(out.spec.containers, [{ name: 'a', image: 'x2', env: [{ name: 'E', value: '1' }, { name: 'F', value: '2' }] }, { name: 'b', image: 'y' }]);
    assert.throws(() => applyStrategicMergePatch(doc, { spec: { containers: [{ image: 'z' }] } }, 'v1', 'Pod'), /does not contain declared merge key: name/);
  });
});
