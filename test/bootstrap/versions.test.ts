// Per-minor flag tables: each supported minor's manifests use only that minor's flags, preflight of init and join both
// check the target version, and a control plane rolled from v1.30.2 to v1.31.0 joins with no preflight warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { initConfiguration, parseConfigDocuments } from '../../bootstrap/config/load.js';
import { apiServerManifest, componentCommand, controllerManagerManifest, etcdManifest, flagNames, schedulerManifest } from '../../bootstrap/manifests.js';
import { flagTable, SUPPORTED_MINORS, unknownFlags, type Component } from '../../bootstrap/flags.js';
import { checkTargetVersion } from '../../bootstrap/phases/shared.js';
import { agent, agentFails, initCluster } from './harness.js';

const config = (version: string, apiServerArgs: Record<string, string> = {}): string => `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  name: cp-0
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: ${version}
controlPlaneEndpoint: lb.example.com:6443
networking:
  podSubnet: 192.168.0.0/16
apiServer:
  extraArgs: ${JSON.stringify(apiServerArgs)}
`;

function manifestsFor(version: string, apiServerArgs: Record<string, string> = {}): ReturnType<typeof apiServerManifest>[] {
  const cfg = initConfiguration(parseConfigDocuments(config(version, apiServerArgs)));
  const mi = { cfg: cfg.cluster, nodeName: 'cp-0', local: cfg.localAPIEndpoint };
  return [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), etcdManifest(mi)];
}

test('each supported minor has a table for every component, and its manifests use only that minor\'s flags', () => {
  assert.deepEqual(SUPPORTED_MINORS, ['1.30', '1.31', '1.32', '1.33']);
  for (const minor of SUPPORTED_MINORS) {
    const version = `v${minor}.0`;
    const manifests = manifestsFor(version);
    for (const m of manifests) {
      const names = flagNames(componentCommand(m));
      assert.ok(names.length > 3, m.metadata.name);
      assert.deepEqual(unknownFlags(version, m.metadata.name as Component, names), [], `${m.metadata.name} at ${version}`);
      if (m.metadata.name !== 'etcd') assert.ok((m.spec.containers as { image: string }[])[0]!.image.endsWith(`:${version}`));
    }
    assert.deepEqual(checkTargetVersion(version, manifests), [], version);
  }
});

test('the tables follow the documented additions and removals', () => {
  const has = (v: string, c: Component, f: string): boolean => flagTable(v, c)!.has(f);
  // kube-apiserver kept --cloud-provider/--cloud-config through 1.32 and lost them in 1.33 (kubernetes#130162)
  for (const v of ['v1.30.2', 'v1.31.0', 'v1.32.4']) assert.ok(has(v, 'kube-apiserver', 'cloud-provider') && has(v, 'kube-apiserver', 'cloud-config'), v);
  assert.ok(!has('v1.33.0', 'kube-apiserver', 'cloud-provider') && !has('v1.33.0', 'kube-apiserver', 'cloud-config'));
  assert.ok(has('v1.33.0', 'kube-controller-manager', 'cloud-provider'), 'the controller-manager keeps --cloud-provider');
  assert.ok(!has('v1.30.0', 'kube-apiserver', 'emulated-version') && has('v1.31.0', 'kube-apiserver', 'emulated-version'));
  assert.ok(!has('v1.31.0', 'kube-apiserver', 'service-account-signing-endpoint') && has('v1.32.0', 'kube-apiserver', 'service-account-signing-endpoint'));
  assert.ok(has('v1.33.1', 'kube-apiserver', 'emulation-forward-compatible'));
  for (const v of ['v1.30.0', 'v1.33.0']) assert.ok(has(v, 'etcd', 'experimental-initial-corrupt-check'), 'etcd 3.5 throughout');
  assert.ok(!has('v1.33.0', 'kube-apiserver', 'insecure-port'));
});

test('an extraArg the target minor dropped, or an unknown minor, fails preflight with the flag or version named', () => {
  const external = { 'cloud-provider': 'external' };
  assert.deepEqual(checkTargetVersion('v1.32.0', manifestsFor('v1.32.0', external)), []);
  const bad = checkTargetVersion('v1.33.0', manifestsFor('v1.33.0', external));
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.name, 'ExtraArgs');
  assert.match(bad[0]!.message, /kube-apiserver v1\.33\.0 does not accept the flags --cloud-provider/);
  const emu = checkTargetVersion('v1.30.0', manifestsFor('v1.30.0', { 'emulated-version': '1.30' }));
  assert.match(emu[0]!.message, /--emulated-version/);
  const unknown = checkTargetVersion('v1.34.0', manifestsFor('v1.34.0'));
  assert.equal(unknown[0]!.name, 'KubernetesVersion');
  assert.match(unknown[0]!.message, /v1\.34\.0 is not supported.*1\.30, 1\.31, 1\.32, 1\.33/);
  assert.throws(() => unknownFlags('v1.29.0', 'kube-apiserver', ['secure-port']), /no flag table for Kubernetes v1\.29\.0/);
});

test('join preflight checks the cluster\'s version: a control plane rolled from v1.30.2 to v1.31.0 joins with no warning', { timeout: 120_000 }, async (t) => {
  const c = await initCluster(['--kubernetes-version', 'v1.30.2']);
  t.after(() => c.close());
  c.startApprover();
  // What a control-plane rollout does before joining a machine of the new minor: bump kubeadm-config's version.
  const setClusterConfig = async (mutate: (cc: Record<string, unknown>) => void): Promise<void> => {
    const cm = await c.core.readNamespacedConfigMap({ name: 'kubeadm-config', namespace: 'kube-system' });
    const cc = yaml.load(cm.data!.ClusterConfiguration!) as Record<string, unknown>;
    mutate(cc);
    cm.data!.ClusterConfiguration = yaml.dump(cc);
    await c.core.replaceNamespacedConfigMap({ name: 'kubeadm-config', namespace: 'kube-system', body: cm });
  };
  await setClusterConfig((cc) => { cc.kubernetesVersion = 'v1.31.0'; });
  await c.core.createNode({ body: { metadata: { name: 'cp-1' } } });
  const rootB = join(c.base, 'b');
  const out = await agent([
    'join', c.endpoint, '--root', rootB, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', c.endpoint.split(':')[1]!,
  ]);
  assert.ok(!out.includes('WARNING'), `no preflight warning at v1.31.0:\n${out}`);
  assert.match(out, /This node has joined the cluster and a new control plane instance was created!/);
  const api = readFileSync(join(rootB, 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8');
  assert.match(api, /image: registry\.k8s\.io\/kube-apiserver:v1\.31\.0/);

  // A minor this agent has no table for stops a worker's join in preflight, before anything is written.
  await setClusterConfig((cc) => { cc.kubernetesVersion = 'v1.34.0'; });
  const rootW = join(c.base, 'w');
  const w = await agentFails(['join', c.endpoint, '--root', rootW, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--node-name', 'w-0']);
  assert.match(w, /\[ERROR KubernetesVersion\]: Kubernetes v1\.34\.0 is not supported by this agent/);

  // At v1.33 a leftover --cloud-provider extraArg stops a control-plane join (kube-apiserver would not start).
  await setClusterConfig((cc) => {
    cc.kubernetesVersion = 'v1.33.0';
    cc.apiServer = { ...(cc.apiServer as object), extraArgs: { 'cloud-provider': 'external' } };
  });
  const cp2 = await agentFails([
    'join', c.endpoint, '--root', join(c.base, 'c'), '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-2', '--apiserver-advertise-address', '127.0.0.3',
  ]);
  assert.match(cp2, /\[ERROR ExtraArgs\]: kube-apiserver v1\.33\.0 does not accept the flags --cloud-provider/);
});
