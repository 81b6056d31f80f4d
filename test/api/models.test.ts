import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MachineModel, isCluster, isMachine } from '../../api/v1alpha1/index.js';

test('models fill in apiVersion and kind, and guards tell kinds apart', () => {
  const m = new MachineModel({ metadata: { name: 'w1', namespace: 'default' }, spec: { clusterName: 'demo', version: 'v1.37.2' } });
  const json = m.toJSON() as { apiVersion: string; kind: string; spec: { clusterName: string } };
  assert.equal(json.apiVersion, 'clusterd.dev/v1alpha1');
  assert.equal(json.kind, 'Machine');
  assert.equal(json.spec.clusterName, 'demo');
  assert.ok(isMachine(json));
  assert.ok(!isCluster(json));
  m.validate();
});

test('validate() names the field a malformed spec gets wrong', () => {
  const bad = new MachineModel({ metadata: { name: 'w1' }, spec: { clusterName: 'demo', version: '1.30' } });
  assert.throws(() => bad.validate(), /spec\.version: Expected string to match/);
  const missing = new MachineModel({ metadata: { name: 'w1' }, spec: {} as never });
  assert.throws(() => missing.validate(), /spec(\.clusterName)?: /);
});
