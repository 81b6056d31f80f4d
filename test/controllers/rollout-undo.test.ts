import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { API_VERSION, Annotations, type MachineDeployment } from '../../api/v1alpha1/index.js';
import { MACHINEDEPLOYMENT_GVK } from '../../controllers/shared/gvk.js';
import { cliPath } from '../../lib/paths.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, fakeReadiness, listMachines, startControllers, startEnv, type Env, type RunningControllers } from './rollout-harness.js';

const run = promisify(execFile);
let env: Env;
let ctrl: RunningControllers;
let ready: { stop(): void };
let dir: string;
let kubeconfig: string;

before(async () => {
  env = await startEnv();
  dir = mkdtempSync(join(tmpdir(), 'rollout-'));
  kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, env.server.adminKubeconfig());
  await env.client.create({ apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: 'c1', namespace: 'default' }, spec: { infrastructure: { provider: 'inmemory' }, controlPlane: { replicas: 1, version: 'v1.35.0' } } });
  ctrl = await startControllers(env);
  ready = fakeReadiness(env.client);
});

after(async () => {
  ready.stop();
  await ctrl.kill();
  await env.close();
  rmSync(dir, { recursive: true, force: true });
});

const getMD = async () => (await env.client.get<KubeObject>(MACHINEDEPLOYMENT_GVK, { namespace: 'default', name: 'pool' })) as unknown as MachineDeployment;
const ref = { apiVersion: API_VERSION, kind: 'MachineDeployment', metadata: { name: 'pool', namespace: 'default' } };

async function settled(version: string, revision: string): Promise<void> {
  await eventually(`pool at ${version}, revision ${revision}`, async () => {
    const md = await getMD();
    const ms = (await listMachines(env.client)).filter((m) => m.metadata.labels?.app === 'pool' && !m.metadata.deletionTimestamp);
    return md.metadata.annotations?.[Annotations.revision] === revision && md.status?.availableReplicas === 2 && ms.length === 2 && ms.every((m) => m.spec.version === version);
  }, 30_000);
}

test('rollout undo restores an earlier template; history lists revisions', async () => {
  await env.client.create({
    apiVersion: API_VERSION, kind: 'MachineDeployment', metadata: { name: 'pool', namespace: 'default' },
    spec: { clusterName: 'c1', replicas: 2, revisionHistoryLimit: 5, selector: { matchLabels: { app: 'pool' } }, template: { metadata: { labels: { app: 'pool' } }, spec: { clusterName: 'c1', version: 'v1.34.0' } } },
  });
  await settled('v1.34.0', '1');
  await env.client.patch(ref, { spec: { template: { spec: { version: 'v1.34.5' } } } });
  await settled('v1.34.5', '2');
  await env.client.patch(ref, { spec: { template: { spec: { version: 'v1.35.0' } } } });
  await settled('v1.35.0', '3');

  const hist = await run(process.execPath, [cliPath(), 'rollout', 'history', 'md', 'pool', '--kubeconfig', kubeconfig]);
  assert.match(hist.stdout, /^1\s+pool-\S+\s+v1\.34\.0$/m);
  assert.match(hist.stdout, /^3\s+pool-\S+\s+v1\.35\.0$/m);

  const undo = await run(process.execPath, [cliPath(), 'rollout', 'undo', 'md', 'pool', '--to-revision', '1', '--kubeconfig', kubeconfig]);
  assert.match(undo.stdout, /rolled back to revision 1/);
  assert.equal((await getMD()).spec.template.metadata?.labels?.['machine-template-hash'], undefined);
  // Rolling back makes the old template the newest revision again, as for Deployments.
  await settled('v1.34.0', '4');

  await assert.rejects(run(process.execPath, [cliPath(), 'rollout', 'undo', 'md', 'pool', '--to-revision', '9', '--kubeconfig', kubeconfig]), /revision 9 .* not found/);
});
