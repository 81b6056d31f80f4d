/**
 * Issue 6's "Done when", scenarios 1 → 2 → 4 → 3 → 5 on one `clusterd run` and one workload cluster, driven with
 * the real kubectl; defined once, run on each management backend (lifecycle.test.ts, lifecycle-kube.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { E2E, type Backend } from './harness.js';
import { deleteEverything, quickstartConverges, quickstartLooksRight, scaleWorkers, secretsFoundIn, standaloneWorker, upgrade } from './scenarios.js';

export function lifecycleSuite(backend: Backend, addressRange: string): void {
  // Info-level logs, all kept: the secrets check reads every line the daemon wrote.
  const e = new E2E({ backend, addressRange, logLevel: 'info', keepAllOutput: true });

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

  test('3. workers ahead of the control plane are held; control plane then workers v1.36.3 → v1.37.2 with invariants on every event; a two-minor change is held', async () => {
    const { cp, md, probes } = await upgrade(e);
    assert.ok(cp.events > 0 && md.events > 0, 'the watch saw the rollouts');
    assert.deepEqual(cp.violations, [], 'control plane never below replicas-1 Ready');
    assert.deepEqual(md.violations, [], 'RollingUpdate within maxSurge/maxUnavailable');
    assert.ok(probes!.ok > 10, `the endpoint was probed (${probes!.ok} answers)`);
    assert.deepEqual(probes!.failures, [], 'the endpoint answered every probe');
  });

  test('private keys, the certificate key and token secrets never appear in logs, Events or status', async () => {
    const events = await e.kubectl('get', 'events', '-A', '-o', 'json');
    const statuses = JSON.stringify((JSON.parse(await e.kubectl('get', 'cl,md,ms,ma', '-A', '-o', 'json')) as { items: { status?: unknown }[] }).items.map((o) => o.status));
    const workloadEvents = await e.workloadKubectl('demo', 'get', 'events', '-A', '-o', 'json');
    const logs = e.fullOutput();
    assert.match(logs, /bootstrap data rendered/, 'the logs are the info-level ones');
    assert.deepEqual(await secretsFoundIn(e, { 'daemon logs': logs, 'Events': events, 'workload Events': workloadEvents, 'status': statuses }), []);
    // The check can see a leak: the Secret itself, printed, is found.
    const printed = await e.kubectl('get', 'secret', 'demo-ca', '-o', 'json');
    assert.ok((await secretsFoundIn(e, { 'a printed Secret': printed })).includes('demo-ca private key (base64, as a Secret prints it) in a printed Secret'));
  });

  test('5. deleting the Cluster removes everything, nothing left in the provider', async () => {
    await deleteEverything(e);
  });
}
