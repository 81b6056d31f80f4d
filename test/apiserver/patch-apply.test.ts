import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conflictStatus, parseApplyPatch, recordUpdate, serverSideApply, managerFromUserAgent, PatchError, type JsonObject } from '../../apiserver/patch/index.js';
import type { JSONSchemaProps } from '../../apiserver/types.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer' },
        version: { type: 'string' },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        workers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, size: { type: 'integer' } } } },
        atomic: { type: 'array', items: { type: 'string' } },
      },
    },
  },
};

const base = (spec: JsonObject): JsonObject => ({ apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'c' }, spec });
type Meta = { managedFields: { manager: string; operation: string; apiVersion: string; fieldsType: string; fieldsV1: JsonObject; time: string }[] };
const mf = (o: JsonObject) => (o.metadata as Meta).managedFields;

describe('server-side apply', () => {
  it('creates with an Apply entry in FieldsV1 format', () => {
    const { object, conflicts } = serverSideApply(undefined, base({ replicas: 1, tags: ['a'], workers: [{ name: 'w1', size: 2 }], atomic: ['x'] }), 'mgr-a', false, schema);
    assert.deepEqual(conflicts, []);
    const [entry] = mf(object);
    assert.equal(entry.manager, 'mgr-a');
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.apiVersion, 'clusterd.dev/v1alpha1');
    assert.equal(entry.fieldsType, 'FieldsV1');
    assert.match(entry.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(entry.fieldsV1, { 'f:spec': { 'f:atomic': {}, 'f:replicas': {}, 'f:tags': { 'v:"a"': {} },
      'f:workers': { 'k:{"name":"w1"}': { '.': {}, 'f:name': {}, 'f:size': {} } } } });
  });

  it('conflicts with another manager on a different value, shares on equal values, force takes over', () => {
    let obj = serverSideApply(undefined, base({ replicas: 1, version: 'v1' }), 'mgr-a', false, schema).object;
    const res = serverSideApply(obj, base({ replicas: 2, version: 'v1' }), 'mgr-b', false, schema);
    assert.deepEqual(res.conflicts.map((c) => [c.manager, c.field, c.message]), [['mgr-a', '.spec.replicas', 'conflict with "mgr-a"']]);
    assert.equal(res.object, obj);
    const st = conflictStatus(res.conflicts);
    assert.equal(st.message, 'Apply failed with 1 conflict: conflict with "mgr-a": .spec.replicas');
    assert.equal(st.code, 409);
    assert.equal(st.reason, 'Conflict');
    obj = serverSideApply(obj, base({ replicas: 2, version: 'v1' }), 'mgr-b', true, schema).object;
    assert.equal((obj.spec as JsonObject).replicas, 2);
    const byName = Object.fromEntries(mf(obj).map((e) => [e.manager, e.fieldsV1]));
    assert.deepEqual(byName['mgr-a'], { 'f:spec': { 'f:version': {} } });
    assert.deepEqual(byName['mgr-b'], { 'f:spec': { 'f:replicas': {}, 'f:version': {} } });
  });

  it('names Update managers with their apiVersion, as kubectl shows', () => {
    const created = base({ replicas: 1 });
    recordUpdate(undefined, created, 'kubectl-client-side-apply', 'clusterd.dev/v1alpha1', { schema });
    const res = serverSideApply(created, base({ replicas: 3 }), 'kubectl', false, schema);
    assert.equal(conflictStatus(res.conflicts).message,
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using clusterd.dev/v1alpha1: .spec.replicas');
  });

  it('removes fields the applier no longer applies, merges map lists and sets', () => {
    let obj = serverSideApply(undefined, base({ replicas: 1, version: 'v1', tags: ['a'], workers: [{ name: 'w1', size: 1 }] }), 'a', false, schema).object;
    obj = serverSideApply(obj, base({ tags: ['b'], workers: [{ name: 'w2', size: 2 }] }), 'other', false, schema).object;
    obj = serverSideApply(obj, base({ replicas: 1, workers: [{ name: 'w1', size: 5 }] }), 'a', false, schema).object;
    assert.deepEqual(obj.spec, { replicas: 1, tags: ['b'], workers: [{ name: 'w1', size: 5 }, { name: 'w2', size: 2 }] });
  });

  it('keeps fields another manager also owns when the applier drops them', () => {
    let obj = serverSideApply(undefined, base({ replicas: 1, version: 'v1' }), 'a', false, schema).object;
    obj = serverSideApply(obj, base({ version: 'v1' }), 'b', false, schema).object;
    obj = serverSideApply(obj, base({ replicas: 1 }), 'a', false, schema).object;
    assert.deepEqual(obj.spec, { replicas: 1, version: 'v1' });
  });

  it('rejects managedFields in the configuration and parses YAML bodies', () => {
    assert.throws(() => serverSideApply(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', managedFields: [] } }, 'a', false),
      (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'metadata.managedFields must be nil');
    assert.deepEqual(parseApplyPatch('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } });
    assert.deepEqual(parseApplyPatch('{"apiVersion":"v1"}'), { apiVersion: 'v1' });
    assert.throws(() => parseApplyPatch('- a\n- b'), (e: unknown) => e instanceof PatchError && e.code === 400);
    assert.throws(() => parseApplyPatch('a: [b'), (e: unknown) => e instanceof PatchError && e.code === 400);
  });
});

describe('managed fields for updates', () => {
  it('records Update entries, moves changed fields between managers, drops removed fields', () => {
    const v1 = base({ replicas: 1, version: 'v1' });
    recordUpdate(undefined, v1, 'kubectl-create', 'clusterd.dev/v1alpha1', { schema });
    assert.deepEqual(mf(v1).map((e) => [e.manager, e.operation, e.fieldsV1]), [['kubectl-create', 'Update', { 'f:spec': { 'f:replicas': {}, 'f:version': {} } }]]);
    const v2 = structuredClone(v1);
    (v2.spec as JsonObject).replicas = 3;
    delete (v2.spec as JsonObject).version;
    (v2.metadata as JsonObject).labels = { app: 'x' };
    recordUpdate(v1, v2, 'kubectl-edit', 'clusterd.dev/v1alpha1', { schema });
    const byName = Object.fromEntries(mf(v2).map((e) => [e.manager, e.fieldsV1]));
    // kubectl-create owned only fields that kubectl-edit changed or removed: its entry goes away.
    assert.deepEqual(byName, { 'kubectl-edit': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } } });
  });
  it('status writes are recorded with their subresource and do not take spec', () => {
    const v1 = base({ replicas: 1 });
    recordUpdate(undefined, v1, 'kubectl', 'clusterd.dev/v1alpha1', { schema, hasStatusSubresource: true });
    const v2: JsonObject = { ...structuredClone(v1), status: { phase: 'Ready' } };
    recordUpdate(v1, v2, 'controller', 'clusterd.dev/v1alpha1', { schema, subresource: 'status' });
    const e = (v2.metadata as { managedFields: JsonObject[] }).managedFields.find((x) => x.manager === 'controller');
    assert.deepEqual(e, { manager: 'controller', operation: 'Update', apiVersion: 'clusterd.dev/v1alpha1', time: e?.time, fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status' });
  });
  it('derives the manager from the User-Agent', () => {
    assert.equal(managerFromUserAgent('kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9'), 'kubectl');
    assert.equal(managerFromUserAgent(undefined), 'unknown');
  });
});
