import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfigAPIVersion, initConfiguration, joinConfiguration, parseConfigDocuments } from '../../bootstrap/config/load.js';
import { apiServerManifest, controllerManagerManifest, etcdManifest, schedulerManifest, componentCommand, flagNames } from '../../bootstrap/manifests.js';
import { flagTable, unknownFlags } from '../../bootstrap/flags.js';
import { Workflow } from '../../bootstrap/workflow.js';
import { initWorkflow } from '../../bootstrap/phases/init/index.js';

const V3 = `apiVersion: kubeadm.k8s.io/v1beta3
kind: InitConfiguration
nodeRegistration:
  name: CP-0
  kubeletExtraArgs:
    node-labels: a=b
localAPIEndpoint:
  advertiseAddress: 10.0.0.5
---
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
controlPlaneEndpoint: lb.example.com:6443
networking:
  podSubnet: 192.168.0.0/16
apiServer:
  extraArgs:
    audit-log-maxage: "30"
  extraVolumes:
  - name: audit
    hostPath: /var/log/audit
    mountPath: /var/log/audit
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
`;

test('v1beta3 documents decode with kubeadm defaults (for 1.36, with kubeadm 1.36\'s deprecation warning)', () => {
  const cfg = initConfiguration(parseConfigDocuments(V3));
  assert.deepEqual(cfg.cluster.warnings, [
    'your configuration file uses a deprecated API spec: "kubeadm.k8s.io/v1beta3" (kind: "InitConfiguration"). Please use \'kubeadm config migrate --old-config old-config-file --new-config new-config-file\', which will write the new, similar spec using a newer API version.',
  ]);
  assert.equal(cfg.cluster.encryptionAlgorithm, 'RSA-2048');
  assert.equal(cfg.cluster.certificateValidityPeriodMs, 365 * 24 * 3_600_000);
  assert.equal(cfg.cluster.caCertificateValidityPeriodMs, 3650 * 24 * 3_600_000);
  assert.equal(cfg.nodeRegistration.name, 'cp-0');
  assert.deepEqual(cfg.nodeRegistration.taints, [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
  assert.equal(cfg.cluster.networking.serviceSubnet, '10.96.0.0/12');
  assert.equal(cfg.cluster.networking.dnsDomain, 'cluster.local');
  assert.equal(cfg.cluster.imageRepository, 'registry.k8s.io');
  assert.equal(cfg.cluster.etcd.local?.dataDir, '/var/lib/etcd');
  assert.equal(cfg.localAPIEndpoint.bindPort, 6443);
  assert.equal(cfg.bootstrapTokens.length, 1);
  assert.equal(cfg.bootstrapTokens[0]!.ttlSeconds, 86400);
  assert.deepEqual(cfg.cluster.apiServer.extraArgs, [{ name: 'audit-log-maxage', value: '30' }]);
  assert.equal(cfg.kubelet.cgroupDriver, 'cgroupfs');
});

test('v1beta3 for 1.37 (and by default, v1.37.2) is refused with kubeadm 1.37\'s message', () => {
  const message = 'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta3" (kind: "InitConfiguration"). Please use kubeadm v1.36 instead and run \'kubeadm config migrate --old-config old-config-file --new-config new-config-file\', which will write the new, similar spec using a newer API version.';
  const exact = (e: unknown): boolean => (e as Error).message === message;
  assert.throws(() => initConfiguration(parseConfigDocuments(V3.replace('kubernetesVersion: v1.36.3', 'kubernetesVersion: v1.37.0'))), exact);
  assert.throws(() => initConfiguration(parseConfigDocuments(V3.replace('kubernetesVersion: v1.36.3\n', ''))), exact);
  assert.equal(checkConfigAPIVersion('v1beta3', 'JoinConfiguration', 'v1.37.2').error?.includes('(kind: "JoinConfiguration")'), true);
  assert.deepEqual(checkConfigAPIVersion('v1beta4', 'InitConfiguration', 'v1.37.2'), {});
  assert.ok(checkConfigAPIVersion('v1beta3', 'JoinConfiguration', 'v1.34.4').warning);
});

test('v1beta4 encryptionAlgorithm and certificate validity periods: defaults, kubeadm\'s validation and warnings', () => {
  const doc = (extra: string): string => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n${extra}`;
  const cfg = initConfiguration(parseConfigDocuments(doc('encryptionAlgorithm: ECDSA-P384\ncertificateValidityPeriod: 720h\ncaCertificateValidityPeriod: 43800h\n')));
  assert.equal(cfg.cluster.encryptionAlgorithm, 'ECDSA-P384');
  assert.equal(cfg.cluster.certificateValidityPeriodMs, 720 * 3_600_000);
  assert.equal(cfg.cluster.caCertificateValidityPeriodMs, 43800 * 3_600_000);
  assert.equal(cfg.cluster.warnings, undefined);
  assert.throws(() => initConfiguration(parseConfigDocuments(doc('encryptionAlgorithm: RSA-1024\n'))),
    /^Error: encryptionAlgorithm: Invalid value: "RSA-1024": Invalid encryption algorithm "RSA-1024". Must be one of \[ECDSA-P256 ECDSA-P384 RSA-2048 RSA-3072 RSA-4096\]$/);
  const long = initConfiguration(parseConfigDocuments(doc('certificateValidityPeriod: 9000h\ncaCertificateValidityPeriod: 8000h\n')));
  assert.deepEqual(long.cluster.warnings, [
    'certificateValidityPeriod: the value 9000h0m0s is more than the recommended default for certificate expiration: 8760h0m0s',
    'certificateValidityPeriod: the value 9000h0m0s is more than the caCertificateValidityPeriod: 8000h0m0s',
  ]);
  assert.throws(() => parseConfigDocuments(doc('certificateValidityPeriod: 1y\n')), /field "certificateValidityPeriod": "1y" is not a duration/);
});

test('v1beta4 name/value extraArgs and timeouts decode', () => {
  const cfg = initConfiguration(parseConfigDocuments(`apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
timeouts:
  kubernetesAPICall: 30s
nodeRegistration:
  name: n1
  taints: []
  kubeletExtraArgs:
  - name: v
    value: "4"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
scheduler:
  extraArgs:
  - name: v
    value: "2"
`));
  assert.equal(cfg.timeouts.kubernetesAPICall, 30_000);
  assert.deepEqual(cfg.nodeRegistration.taints, []);
  assert.deepEqual(cfg.cluster.scheduler.extraArgs, [{ name: 'v', value: '2' }]);
});

test('unknown fields are errors that name the field', () => {
  assert.throws(() => parseConfigDocuments('apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nnodeRegistration:\n  foo: 1\n'), /unknown field "nodeRegistration.foo"/);
  assert.throws(() => parseConfigDocuments('apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    v: "2"\n'), /field "apiServer.extraArgs": expected a list/);
  assert.throws(() => parseConfigDocuments('apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\n'), /unsupported apiVersion/);
  assert.throws(() => joinConfiguration(parseConfigDocuments('apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: abcdef.0123456789abcdef\n    caCertHashes: [md5:x]\n')), /caCertHashes\[0\]/);
  assert.throws(() => initConfiguration(parseConfigDocuments('apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nbootstrapTokens:\n- token: nope\n')), /bootstrapTokens\[0\]\.token/);
});

test('every flag in the v1.36 manifests is in the v1.36 flag table, and removed flags are not', () => {
  const cfg = initConfiguration(parseConfigDocuments(V3));
  const mi = { cfg: cfg.cluster, nodeName: 'cp-0', local: cfg.localAPIEndpoint };
  const manifests = [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi), etcdManifest(mi, [{ name: 'cp-9', peerURL: 'https://10.0.0.9:2380' }])];
  for (const m of manifests) {
    const names = flagNames(componentCommand(m));
    assert.ok(names.length > 3);
    assert.deepEqual(unknownFlags(cfg.cluster.kubernetesVersion, m.metadata.name as 'etcd', names), [], m.metadata.name);
    assert.equal(m.metadata.labels.tier, 'control-plane');
    assert.equal((m.spec as { priorityClassName: string }).priorityClassName, 'system-node-critical');
    assert.equal((m.spec as { hostNetwork: boolean }).hostNetwork, true);
  }
  const api = componentCommand(manifests[0]!);
  assert.ok(api.includes('--audit-log-maxage=30'));
  assert.ok(!api.some((f) => f.startsWith('--insecure-port')));
  assert.ok(!flagTable('v1.36.1', 'kube-apiserver')!.has('insecure-port'));
  const etcd = componentCommand(manifests[3]!);
  assert.ok(etcd.includes('--initial-cluster=cp-9=https://10.0.0.9:2380,cp-0=https://10.0.0.5:2380'));
  assert.ok(etcd.includes('--initial-cluster-state=existing'));
  assert.ok(componentCommand(manifests[1]!).includes('--cluster-cidr=192.168.0.0/16'));
});

test('the workflow runs phases in order, skips by path and runs one alone', async () => {
  const ran: string[] = [];
  const wf = new Workflow<null>('t', [
    { name: 'a', short: '', run: async () => { ran.push('a'); } },
    { name: 'b', short: '', phases: [{ name: 'x', short: '', run: async () => { ran.push('b/x'); } }, { name: 'y', short: '', run: async () => { ran.push('b/y'); } }] },
  ]);
  await wf.run(null, ['b/x']);
  assert.deepEqual(ran, ['a', 'b/y']);
  await wf.runPhase('b/x', null);
  assert.deepEqual(ran, ['a', 'b/y', 'b/x']);
  await assert.rejects(wf.run(null, ['nope']), /unknown phase "nope"/);
  assert.ok(initWorkflow().has('certs/apiserver') && initWorkflow().has('upload-certs'));
});
