// Per-minor flag tables (generated from the real binaries' --help): each supported minor's manifests use only that
// minor's flags, preflight of init and join both check the target version, and a control plane rolled from v1.36.3 to
// v1.37.2 joins with no preflight warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { initConfiguration, parseConfigDocuments } from '../../bootstrap/config/load.js';
import { apiServerManifest, componentCommand, controllerManagerManifest, etcdManifest, flagNames, schedulerManifest } from '../../bootstrap/manifests.js';
import { componentVersions, flagTable, SUPPORTED_MINORS, unknownFlags, type Component } from '../../bootstrap/flags.js';
import { checkTargetVersion } from '../../bootstrap/phases/shared.js';
import { agent, agentFails, initCluster } from './harness.js';

const config = (version: string, apiServerArgs: Record<string, string> = {}): string => `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: cp-0
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: ${version}
controlPlaneEndpoint: lb.example.com:6443
networking:
  podSubnet: 192.168.0.0/16
apiServer:
  extraArgs: ${JSON.stringify(Object.entries(apiServerArgs).map(([name, value]) => ({ name, value })))}
`;

function manifestsFor(version: string, apiServerArgs: Record<string, string> = {}): ReturnType<typeof apiServerManifest>[] {
  const cfg = initConfiguration(parseConfigDocuments(config(version, apiServerArgs)));
  const mi = { cfg: cfg.cluster, nodeName: 'cp-0', local: cfg.localAPIEndpoint };
  return [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), etcdManifest(mi)];
}

test('each supported minor has a table for every component, and its manifests use only that minor\'s flags', () => {
  assert.deepEqual([...SUPPORTED_MINORS], ['1.34', '1.35', '1.36', '1.37']);
  for (const minor of SUPPORTED_MINORS) {
    const version = `v${minor}.0`;
    const manifests = manifestsFor(version);
    for (const m of manifests) {
      const names = flagNames(componentCommand(m));
      assert.ok(names.length > 3, m.metadata.name);
      assert.deepEqual(unknownFlags(version, m.metadata.name as Component, names), [], `${m.metadata.name} at ${version}`);
      const image = (m.spec.containers as { image: string }[])[0]!.image;
      if (m.metadata.name !== 'etcd') assert.ok(image.endsWith(`:${version}`));
      else assert.equal(image, `registry.k8s.io/etcd:${componentVersions(version).etcd}`, 'the etcd kubeadm of that release pins');
    }
    assert.deepEqual(checkTargetVersion(version, manifests), [], version);
  }
});

test('the tables are the binaries\' own: what each release added and removed, as their --help shows it', () => {
  const has = (v: string, c: Component, f: string): boolean => flagTable(v, c)!.has(f);
  for (const minor of SUPPORTED_MINORS) {
    const v = `v${minor}.0`;
    // gone before 1.34: kube-apiserver's insecure serving and in-tree cloud flags
    for (const gone of ['insecure-port', 'cloud-provider', 'cloud-config', 'port', 'address']) assert.ok(!has(v, 'kube-apiserver', gone), `${v} kube-apiserver --${gone}`);
    assert.ok(has(v, 'kube-apiserver', 'emulated-version'), v);
    assert.ok(has(v, 'etcd', 'feature-gates') && has(v, 'etcd', 'watch-progress-notify-interval'), `${v} etcd`);
  }
  // 1.35: --min-compatibility-version on the three control-plane binaries; 1.36: --tls-curve-preferences
  assert.ok(!has('v1.34.0', 'kube-apiserver', 'min-compatibility-version') && has('v1.35.0', 'kube-apiserver', 'min-compatibility-version'));
  assert.ok(!has('v1.35.0', 'kube-scheduler', 'tls-curve-preferences') && has('v1.36.0', 'kube-scheduler', 'tls-curve-preferences'));
  // 1.37: kube-controller-manager drops --concurrent-service-syncs (an extraArg carrying it now fails preflight)
  assert.ok(has('v1.36.0', 'kube-controller-manager', 'concurrent-service-syncs') && !has('v1.37.0', 'kube-controller-manager', 'concurrent-service-syncs'));
  // etcd 3.6 (kubeadm 1.34-1.36) still accepts the deprecated experimental- flags; etcd 3.7 (kubeadm 1.37) does not,
  // which is why the manifests use --feature-gates=InitialCorruptCheck=true and --watch-progress-notify-interval
  assert.ok(has('v1.36.0', 'etcd', 'experimental-initial-corrupt-check') && !has('v1.37.0', 'etcd', 'experimental-initial-corrupt-check'));
});

test('component versions follow kubeadm of each release', () => {
  assert.deepEqual(componentVersions('v1.37.2'), { kubernetesVersion: 'v1.37.2', source: 'k8s.io/kubernetes@v1.37.2 cmd/kubeadm/app/constants/constants.go', etcd: '3.7.0-0', coredns: 'v1.14.6', pause: '3.10.2' });
  assert.equal(componentVersions('v1.34.1').etcd, '3.6.5-0');
  assert.equal(componentVersions('v1.36.0').coredns, 'v1.14.2');
});

test('an extraArg the target binary does not know, or an unknown minor, fails preflight with the flag or version named', () => {
  const external = { 'cloud-provider': 'external' };
  const bad = checkTargetVersion('v1.37.2', manifestsFor('v1.37.2', external));
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.name, 'ExtraArgs');
  assert.match(bad[0]!.message, /kube-apiserver v1\.37\.2 does not accept the flags --cloud-provider/);
  const unknown = checkTargetVersion('v1.33.0', manifestsFor('v1.33.0'));
  assert.equal(unknown[0]!.name, 'KubernetesVersion');
  assert.match(unknown[0]!.message, /v1\.33\.0 is not supported.*1\.34, 1\.35, 1\.36, 1\.37/);
  assert.throws(() => unknownFlags('v1.38.0', 'kube-apiserver', ['secure-port']), /no flag table for Kubernetes v1\.38\.0/);
});

test('join preflight checks the cluster\'s version: a control plane rolled from v1.36.3 to v1.37.2 joins with no warning', { timeout: 120_000 }, async (t) => {
  const c = await initCluster(['--kubernetes-version', 'v1.36.3']);
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
  await setClusterConfig((cc) => { cc.kubernetesVersion = 'v1.37.2'; });
  await c.core.createNode({ body: { metadata: { name: 'cp-1' } } });
  const rootB = join(c.base, 'b');
  const out = await agent([
    'join', c.endpoint, '--root', rootB, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', c.endpoint.split(':')[1]!,
  ]);
  assert.ok(!out.includes('WARNING'), `no preflight warning at v1.37.2:\n${out}`);
  assert.match(out, /This node has joined the cluster and a new control plane instance was created!/);
  const api = readFileSync(join(rootB, 'etc/kubernetes/manifests/kube-apiserver.yaml'), 'utf8');
  assert.match(api, /image: registry\.k8s\.io\/kube-apiserver:v1\.37\.2/);

  // A minor this agent has no table for stops a worker's join in preflight, before anything is written.
  await setClusterConfig((cc) => { cc.kubernetesVersion = 'v1.38.0'; });
  const rootW = join(c.base, 'w');
  const w = await agentFails(['join', c.endpoint, '--root', rootW, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--node-name', 'w-0']);
  assert.match(w, /\[ERROR KubernetesVersion\]: Kubernetes v1\.38\.0 is not supported by this agent/);

  // A leftover --cloud-provider extraArg (kube-apiserver dropped it in 1.33) stops a control-plane join: the binary
  // would not start.
  await setClusterConfig((cc) => {
    cc.kubernetesVersion = 'v1.37.2';
    cc.apiServer = { ...(cc.apiServer as object), extraArgs: [{ name: 'cloud-provider', value: 'external' }] };
  });
  const cp2 = await agentFails([
    'join', c.endpoint, '--root', join(c.base, 'c'), '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-2', '--apiserver-advertise-address', '127.0.0.3',
  ]);
  assert.match(cp2, /\[ERROR ExtraArgs\]: kube-apiserver v1\.37\.2 does not accept the flags --cloud-provider/);
});
