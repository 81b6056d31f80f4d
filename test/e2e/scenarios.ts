/**
 * The "Done when" scenarios as functions over the harness, so each test file (and the kill/restart
 * scenario 6) composes them. Scenario 1 first: quickstart converges.
 */
import assert from 'node:assert/strict';
import { countReady, type E2E } from './harness.js';

/** 1. quickstart: demo Provisioned with 3/3 control plane, demo-workers 3/3 ready, six Ready nodes. */
export async function quickstartConverges(e: E2E, timeoutMs = 120_000): Promise<void> {
  await e.apply('examples/quickstart.yaml');
  await e.until('demo Provisioned 3/3', async () =>
    (await e.jsonpath(['get', 'cl', 'demo'], '{.status.phase} {.status.controlPlane.summary}')) === 'Provisioned 3/3', timeoutMs);
  await e.until('demo-workers 3/3 ready', async () =>
    (await e.jsonpath(['get', 'md', 'demo-workers'], '{.status.readyReplicas}')) === '3', timeoutMs);
  await e.until('six Ready nodes', async () => countReady(await e.workloadKubectl('demo', 'get', 'nodes', '--no-headers')) === 6, timeoutMs);
  const cl = await e.kubectl('get', 'cl', 'demo');
  assert.match(cl, /demo\s+Provisioned\s+3\/3/);
}

/** 4. A standalone worker Machine joins and goes Running; deleting it removes its Node and provider machine. */
export async function standaloneWorker(e: E2E, timeoutMs = 90_000): Promise<void> {
  await e.apply('examples/worker-machine.yaml');
  await e.until('demo-extra-worker Running', async () =>
    (await e.jsonpath(['get', 'ma', 'demo-extra-worker'], '{.status.phase}')) === 'Running', timeoutMs);
  const node = await e.jsonpath(['get', 'ma', 'demo-extra-worker'], '{.status.nodeRef.name}');
  assert.ok(node, 'nodeRef set');
  assert.match(await e.workloadKubectl('demo', 'get', 'node', node, '-L', 'pool'), /standalone/);
  await e.kubectl('delete', 'ma', 'demo-extra-worker', '--wait=true', '--timeout=90s');
  await e.until('node gone', async () => !(await e.workloadKubectl('demo', 'get', 'nodes', '-o', 'name')).includes(`node/${node}`), timeoutMs);
}

/** 5. Deleting the Cluster removes everything, with nothing left in the provider. */
export async function deleteEverything(e: E2E, timeoutMs = 120_000): Promise<void> {
  await e.kubectl('delete', 'cl', 'demo', '--wait=false');
  await e.until('cluster gone', async () => (await e.kubectl('get', 'cl', '-o', 'name')).trim() === '', timeoutMs);
  assert.equal((await e.kubectl('get', 'ma,ms,md', '-o', 'name')).trim(), '');
  assert.doesNotMatch(await e.kubectl('get', 'secret', '-o', 'name'), /demo-/);
}
