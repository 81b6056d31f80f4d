/**
 * A machine whose bootstrap fails (here the agent's preflight refuses an unsupported Kubernetes version) is reported by
 * the in-memory provider, and its Machine says so (BootstrapExecSucceeded=False, Ready=False with the agent's error,
 * a Warning Event) instead of sitting Provisioned, waiting for a Node that will never come.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Machine } from '../../api/v1alpha1/index.js';
import type { BootstrapDataInput } from '../../controllers/machine/index.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, startControllerEnv, type ControllerEnv } from './cluster-env.js';

const CLUSTER = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster' };
const MACHINE = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine' };

/** User-data whose agent run fails in preflight: kubeadm refuses a release it does not support. */
const render = (i: BootstrapDataInput): string =>
  `#cloud-config\nruncmd:\n- clusterd agent init --node-name ${i.nodeName} --kubernetes-version v1.33.0\n`;

let env: ControllerEnv;
before(async () => {
  env = await startControllerEnv({ machines: render, pollIntervalMs: 200 });
  await env.client.create({ ...CLUSTER, metadata: { name: 'bf', namespace: 'default' }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: '127.47.0.0/24' } } } });
});
after(async () => {
  await env.close();
});

test('a failed bootstrap reaches the Machine as a condition and an Event, never as "waiting for the node"', { timeout: 60_000 }, async () => {
  await env.client.create({ ...MACHINE, metadata: { name: 'bf-cp', namespace: 'default', labels: { 'clusterd.dev/control-plane': '' } }, spec: { clusterName: 'bf', version: 'v1.37.2' } });
  const m = await eventually('BootstrapExecSucceeded False', async () => {
    const x = await env.client.get<Machine & KubeObject>(MACHINE, { namespace: 'default', name: 'bf-cp' });
    return x.status?.conditions?.find((c) => c.type === 'BootstrapExecSucceeded')?.status === 'False' ? x : undefined;
  }, 45_000);
  const cond = (t: string) => m.status?.conditions?.find((c) => c.type === t);
  assert.equal(cond('BootstrapExecSucceeded')?.reason, 'BootstrapFailed');
  assert.match(cond('BootstrapExecSucceeded')?.message ?? '', /cloud-init failed: clusterd agent init exited with 1: \[ERROR KubernetesVersion\]: Kubernetes v1\.33\.0 is not supported by this agent/);
  assert.equal(cond('Ready')?.reason, 'BootstrapFailed');
  assert.doesNotMatch(cond('Ready')?.message ?? '', /waiting/);
  assert.equal(cond('NodeHealthy')?.reason, 'BootstrapFailed');
  await eventually('a Warning Event', async () => {
    const ev = await env.client.list<KubeObject & { type?: string; reason?: string; message?: string; involvedObject?: { name?: string } }>({ apiVersion: 'v1', kind: 'Event' }, { namespace: 'default' });
    return ev.items.some((e) => e.type === 'Warning' && e.reason === 'BootstrapFailed' && e.involvedObject?.name === 'bf-cp' && /KubernetesVersion/.test(e.message ?? ''));
  });
});
