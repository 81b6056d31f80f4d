/**
 * The in-memory provider across a daemon restart (a new provider over the same data dir re-attaches its machines
 * without running cloud-init again) and its failure knobs (failureRate with NeverBoots and FailsLater).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { caCertHash, generateClusterPKI, newBootstrapToken, newCertificateKey, renderCloudInit } from '../../bootstrap/index.js';
import { silentLogger } from '../../lib/logging.js';
import { createInMemoryProvider } from '../../providers/inmemory/provider.js';
import { BOOT_FINISHED } from '../../providers/inmemory/cloudinit.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await Promise.resolve(fn()).catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const machine = (name: string): MachineLike => ({ metadata: { name, namespace: 'default', uid: name }, spec: { clusterName: 'c', version: 'v1.37.2' } });

test('failureRate 1: NeverBoots stays Provisioning; FailsLater boots, then is reported failed for good with a reason', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inmemory-knobs-'));
  const provider = createInMemoryProvider({ dataDir: dir, logger: silentLogger() });
  const clusterWith = (name: string, config: Record<string, unknown>): ClusterLike => ({
    metadata: { name, namespace: 'default', uid: name }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: '127.43.0.0/24', ...config } } },
  });
  const never = clusterWith('never', { failureRate: 1, failureMode: 'NeverBoots', provisioningDelayMs: 0 });
  const later = clusterWith('later', { failureRate: 1, failureMode: 'FailsLater', failAfterMs: 300, provisioningDelayMs: 0 });
  t.after(async () => {
    for (const cluster of [never, later]) await provider.deleteClusterInfrastructure({ cluster });
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const userData = '#cloud-config\nruncmd:\n- echo hello\n';

  const first = await provider.createOrGetMachine({ cluster: never, machine: machine('n-0'), userData });
  assert.equal(first.status, 'done');
  await sleep(1000);
  const again = await provider.createOrGetMachine({ cluster: never, machine: machine('n-0'), userData });
  assert.ok(again.status === 'done' && again.value.state === 'Provisioning', `a machine that never boots stays Provisioning: ${JSON.stringify(again)}`);
  assert.equal((await provider.listMachines({ cluster: never }))[0]?.state, 'Provisioning');

  const created = await provider.createOrGetMachine({ cluster: later, machine: machine('l-0'), userData });
  assert.equal(created.status, 'done');
  await until('the FailsLater machine to fail', async () => (await provider.listMachines({ cluster: later }))[0]?.state === 'Failed', 10_000);
  const res = await provider.createOrGetMachine({ cluster: later, machine: machine('l-0'), userData });
  assert.equal(res.status, 'failed');
  assert.ok(res.status === 'failed' && res.reason === 'InstanceFailed' && /failed after booting/.test(res.message), JSON.stringify(res));
  const still = await provider.createOrGetMachine({ cluster: later, machine: machine('l-0'), userData });
  assert.equal(still.status, 'failed', 'failed for good: asking again does not revive it');
});

test('a new provider over the same data dir re-attaches its machines without re-running cloud-init; the Node stays Ready', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inmemory-restart-'));
  const dataDir = join(dir, 'inmemory');
  let provider = createInMemoryProvider({ dataDir, logger: silentLogger() }, { leaseRenewMs: 500 });
  const cluster: ClusterLike = { metadata: { name: 'c', namespace: 'default', uid: 'c' }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: '127.44.0.0/24' } } } };
  t.after(async () => {
    await provider.deleteClusterInfrastructure({ cluster });
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const infra = await provider.reconcileClusterInfrastructure({ cluster });
  assert.ok(infra.status === 'done' && infra.value.controlPlaneEndpoint);
  const pki = await generateClusterPKI();
  const userData = renderCloudInit({
    role: 'init', nodeName: 'cp-0', clusterName: 'c', version: 'v1.37.2', controlPlaneEndpoint: infra.value.controlPlaneEndpoint, advertiseAddress: '127.44.0.2',
    token: newBootstrapToken(), caCertHashes: [caCertHash(pki.ca.certPem)], certificateKey: newCertificateKey(), certs: pki,
  });
  await provider.createOrGetMachine({ cluster, machine: machine('cp-0'), userData });
  const root = join(dataDir, 'default/c/machines/cp-0');
  const adminConf = join(root, 'etc/kubernetes/admin.conf');
  await until('admin.conf', () => existsSync(adminConf));
  const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', adminConf, '--request-timeout', '5s', ...args])).stdout;
  const ready = async (): Promise<boolean> => (await kubectl('get', 'node', 'cp-0', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True';
  await until('cp-0 Ready', ready);
  // cloud-init has finished once the agent has written the last phase's output; its config file dates it.
  const configFile = join(root, 'run/clusterd/kubeadm.yaml');
  // cloud-init has finished when it writes boot-finished, as the real one does (an interrupted first boot starts over)
  await until('cloud-init to finish', () => existsSync(join(root, BOOT_FINISHED)));
  const before = statSync(configFile).mtimeMs;
  const manifestBefore = statSync(join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml')).mtimeMs;

  await provider.close();
  const restartedAt = Date.now();
  provider = createInMemoryProvider({ dataDir, logger: silentLogger() }, { leaseRenewMs: 500 });
  const listed = await provider.listMachines({ cluster });
  assert.deepEqual(listed.map((m) => [m.machineName, m.state, m.providerID]), [['cp-0', 'Running', 'inmemory:///default/c/cp-0']]);
  const again = await provider.reconcileClusterInfrastructure({ cluster });
  assert.deepEqual(again.status === 'done' && again.value.controlPlaneEndpoint, infra.value.controlPlaneEndpoint, 'same endpoint after the restart');

  await until('cp-0 Ready after the restart', ready);
  await until('the Lease renewed by the re-attached kubelet', async () =>
    Date.parse(await kubectl('-n', 'kube-node-lease', 'get', 'lease', 'cp-0', '-o', 'jsonpath={.spec.renewTime}')) >= restartedAt - 1000);
  assert.equal(statSync(configFile).mtimeMs, before, 'cloud-init did not run again (write_files untouched)');
  assert.equal(statSync(join(root, 'etc/kubernetes/manifests/kube-apiserver.yaml')).mtimeMs, manifestBefore, 'the agent did not run again');
  const created = await provider.createOrGetMachine({ cluster, machine: machine('cp-0'), userData });
  assert.ok(created.status === 'done' && created.value.state === 'Running');
});
