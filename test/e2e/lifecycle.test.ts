/**
 * Issue 6's "Done when", scenarios 1 → 2 → 4 → 3 → 5 on one `clusterd run` and one workload cluster,
 * driven with the real kubectl.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { E2E } from './harness.js';
import { deleteEverything, quickstartConverges, quickstartLooksRight, scaleWorkers, standaloneWorker, upgrade } from './scenarios.js';

const e = new E2E({ addressRange: '127.51.0.0/16' });

before(async () => {
  await e.start();
});

after(async () => {
  await e.close();
});

test('1. quickstart converges: 3/3 control plane, 3/3 workers, six Ready nodes, CSRs approved', async () => {
  await quickstartConverges(e);
  await quickstartLooksRight(e);
});

test('2. scale the workers to 10 then 2; deletePolicy Oldest keeps the newest', async () => {
  await scaleWorkers(e);
});

test('4. a standalone worker Machine joins; deleting it removes its Node and provider machine', async () => {
  await standaloneWorker(e);
});

test('3. control plane then workers to v1.31.0 with invariants on every event; v1.33.0 is held', async () => {
  const { cp, md, probes } = await upgrade(e);
  assert.ok(cp.events > 0 && md.events > 0, 'the watch saw the rollouts');
  assert.deepEqual(cp.violations, [], 'control plane never below replicas-1 Ready');
  assert.deepEqual(md.violations, [], 'RollingUpdate within maxSurge/maxUnavailable');
  assert.ok(probes!.ok > 10, `the endpoint was probed (${probes!.ok} answers)`);
  assert.deepEqual(probes!.failures, [], 'the endpoint answered every probe');
});

test('5. deleting the Cluster removes everything, nothing left in the provider', async () => {
  await deleteEverything(e);
});
