/**
 * `clusterd rollout restart` works through the template hashes: a new restartedAt makes every Machine outdated,
 * and a template without it hashes as before (existing clusters do not roll when clusterd is upgraded).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ControlPlane, MachineTemplate } from '../../api/v1alpha1/index.js';
import { createHash } from 'node:crypto';
import { templateHash as cpHash } from '../../controllers/cluster/control-plane.js';
import { stableJson as stableJSON } from '../../controllers/shared/stable-json.js';
import { templateHash as mdHash } from '../../controllers/shared/template-hash.js';

test('control plane: restartedAt changes the hash; no annotation keeps the old hash', () => {
  const cp: ControlPlane = { replicas: 3, version: 'v1.37.2', machineTemplate: { infrastructure: { config: { flavor: 'small' } } } };
  // Without the annotation the hash is what it was before restartedAt existed: sha256 of infrastructure and bootstrap.
  const old = createHash('sha256').update(stableJSON({ infrastructure: cp.machineTemplate!.infrastructure, bootstrap: {} })).digest('hex').slice(0, 10);
  assert.equal(cpHash(cp), old);
  assert.equal(cpHash(cp), cpHash({ ...cp, machineTemplate: { ...cp.machineTemplate, metadata: { labels: { a: 'b' } } } }), 'labels do not roll members');
  const before = cpHash(cp);
  const restarted = cpHash({ ...cp, machineTemplate: { ...cp.machineTemplate, metadata: { annotations: { 'clusterd.dev/restartedAt': '2026-11-30T12:00:00Z' } } } });
  const again = cpHash({ ...cp, machineTemplate: { ...cp.machineTemplate, metadata: { annotations: { 'clusterd.dev/restartedAt': '2026-11-30T13:00:00Z' } } } });
  assert.notEqual(restarted, before);
  assert.notEqual(again, restarted, 'each restart rolls again');
});

test('MachineDeployment: restartedAt on the template is a new revision', () => {
  const t: MachineTemplate = { metadata: { labels: { pool: 'w' } }, spec: { clusterName: 'demo', version: 'v1.37.2' } };
  const r: MachineTemplate = { ...t, metadata: { ...t.metadata, annotations: { 'clusterd.dev/restartedAt': '2026-11-30T12:00:00Z' } } };
  assert.notEqual(mdHash(r), mdHash(t));
});
