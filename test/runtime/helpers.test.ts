import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCondition, markFalse, markTrue, setSummary, type Conditioned } from '../../runtime/conditions.js';
import { matches, parseSelector, fromLabelSelector, selectorToString } from '../../runtime/labels.js';
import { addFinalizer, removeFinalizer, setControllerReference, getControllerOf } from '../../runtime/meta.js';
import { createMergePatch } from '../../runtime/patch.js';
import { enqueueByField, enqueueByLabel, enqueueForOwner } from '../../runtime/handlers.js';
import { parseBindAddress } from '../../runtime/server.js';
import { microTime } from '../../runtime/leaderelection.js';
import type { KubeObject } from '../../runtime/types.js';
import { errorFromResponse, ignoreNotFound, isNotFound } from '../../runtime/errors.js';

test('lastTransitionTime changes only when the status changes', () => {
  const obj: Conditioned = { metadata: { generation: 2 }, status: {} };
  markFalse(obj, 'InfrastructureReady', 'Provisioning', 'Info', 'waiting');
  const c1 = { ...getCondition(obj, 'InfrastructureReady')! };
  c1.lastTransitionTime = '2020-01-01T00:00:00Z';
  obj.status!.conditions = [c1];
  markFalse(obj, 'InfrastructureReady', 'StillProvisioning', 'Warning', 'slow');
  assert.equal(getCondition(obj, 'InfrastructureReady')!.lastTransitionTime, '2020-01-01T00:00:00Z');
  assert.equal(getCondition(obj, 'InfrastructureReady')!.reason, 'StillProvisioning');
  assert.equal(getCondition(obj, 'InfrastructureReady')!.observedGeneration, 2);
  markTrue(obj, 'InfrastructureReady');
  assert.notEqual(getCondition(obj, 'InfrastructureReady')!.lastTransitionTime, '2020-01-01T00:00:00Z');
});

test('the Ready summary takes the most severe False condition, and sorts Ready first', () => {
  const obj: Conditioned = { status: {} };
  markTrue(obj, 'A');
  markFalse(obj, 'B', 'Minor', 'Info', 'meh');
  markFalse(obj, 'C', 'Broken', 'Error', 'bad');
  setSummary(obj);
  const ready = getCondition(obj, 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'Broken');
  assert.equal(ready.severity, 'Error');
  assert.equal(obj.status!.conditions![0]!.type, 'Ready');
  markTrue(obj, 'B');
  markTrue(obj, 'C');
  setSummary(obj);
  assert.equal(getCondition(obj, 'Ready')!.status, 'True');
  setSummary(obj, ['A', 'Missing']);
  assert.equal(getCondition(obj, 'Ready')!.status, 'Unknown');
});

test('label selectors: string form, LabelSelector form, matching', () => {
  const sel = parseSelector('tier=web, env in (prod,staging),!legacy,app');
  assert.ok(matches(sel, { tier: 'web', env: 'prod', app: 'x' }));
  assert.ok(!matches(sel, { tier: 'web', env: 'dev', app: 'x' }));
  assert.ok(!matches(sel, { tier: 'web', env: 'prod', app: 'x', legacy: '1' }));
  assert.ok(!matches(sel, { tier: 'web', env: 'prod' }));
  assert.ok(matches(parseSelector('a!=b'), {}));
  assert.throws(() => parseSelector('a=b=c'), /unable to parse requirement: invalid label value: "b=c"/);
  const ls = { matchLabels: { pool: 'w' }, matchExpressions: [{ key: 'z', operator: 'NotIn' as const, values: ['1'] }] };
  assert.ok(matches(fromLabelSelector(ls), { pool: 'w' }));
  assert.equal(selectorToString(ls), 'pool=w,z notin (1)');
  assert.ok(matches(fromLabelSelector({}), { any: 'thing' }), 'empty selector matches all');
});

test('merge patches contain only what changed, with null for removals', () => {
  assert.deepEqual(createMergePatch({ spec: { a: 1, b: [1] } }, { spec: { a: 1, b: [1] } }), {});
  assert.deepEqual(createMergePatch({ spec: { a: 1, b: 2 }, x: 1 }, { spec: { a: 3 } }), { spec: { a: 3, b: null }, x: null });
  assert.deepEqual(createMergePatch({ l: [1, 2] }, { l: [1] }), { l: [1] });
});

test('finalizer and controller reference helpers', () => {
  const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
  assert.equal(addFinalizer(obj, 'clusterd.dev/f'), true);
  assert.equal(addFinalizer(obj, 'clusterd.dev/f'), false);
  const owner: KubeObject = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'demo', uid: 'u1' } };
  assert.equal(setControllerReference(obj, owner), true);
  assert.equal(setControllerReference(obj, owner), false);
  assert.equal(getControllerOf(obj)?.name, 'demo');
  const other: KubeObject = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'x', uid: 'u2' } };
  assert.throws(() => setControllerReference(obj, other), /already controlled by Cluster demo/);
  assert.deepEqual(enqueueForOwner({ apiVersion: 'clusterd.dev/v1beta9', kind: 'Cluster' })({ ...obj, metadata: { ...obj.metadata, namespace: 'ns' } }), [{ namespace: 'ns', name: 'demo' }]);
  assert.equal(removeFinalizer(obj, 'clusterd.dev/f'), true);
  assert.deepEqual(obj.metadata.finalizers, []);
});

test('label- and field-based mappings', () => {
  const m: KubeObject = { metadata: { namespace: 'ns', name: 'm', labels: { 'clusterd.dev/cluster-name': 'demo' } }, spec: { clusterName: 'demo2' } };
  assert.deepEqual(enqueueByLabel('clusterd.dev/cluster-name')(m), [{ namespace: 'ns', name: 'demo' }]);
  assert.deepEqual(enqueueByField('spec.clusterName')(m), [{ namespace: 'ns', name: 'demo2' }]);
  assert.deepEqual(enqueueByField('spec.nothing')(m), []);
});

test('bind addresses parse Go-style and bad ones name the flag', () => {
  assert.deepEqual(parseBindAddress(':8080'), { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(parseBindAddress('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseBindAddress('[::1]:9'), { host: '::1', port: 9 });
  assert.equal(parseBindAddress('0'), undefined);
  assert.throws(() => parseBindAddress('localhost', 'metrics-bind-address'), /metrics-bind-address/);
});

test('MicroTime has six fractional digits', () => {
  assert.equal(microTime(new Date('2024-05-06T07:08:09.123Z')), '2024-05-06T07:08:09.123000Z');
});

test('errors: a 404 Status becomes a NotFound with its details; ignoreNotFound turns only NotFound into undefined', async () => {
  const status = (code: number, reason: string, kind: string, name: string): string =>
    JSON.stringify({ kind: 'Status', status: 'Failure', reason, code, message: `${kind} "${name}" not found`, details: { name, group: 'clusterd.dev', kind } });
  const gone = errorFromResponse(404, status(404, 'NotFound', 'machines', 'm1'), 'patch Machine default/m1');
  assert.equal(isNotFound(gone), true);
  assert.deepEqual(isNotFound(gone) && { name: gone.details?.name, kind: gone.details?.kind }, { name: 'm1', kind: 'machines' });
  assert.equal(isNotFound(errorFromResponse(409, status(409, 'Conflict', 'machines', 'm1'), 'patch')), false);
  assert.equal(await ignoreNotFound(Promise.reject(gone)), undefined);
  assert.equal(await ignoreNotFound(Promise.resolve(7)), 7);
  await assert.rejects(ignoreNotFound(Promise.reject(errorFromResponse(500, 'boom', 'get'))), /boom/);
});
