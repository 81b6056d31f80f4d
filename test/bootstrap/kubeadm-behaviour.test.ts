// kubeadm 1.34-1.37 behaviour the agent matches: admin.conf in kubeadm:cluster-admins with its ClusterRoleBinding and a
// separate super-admin.conf (system:masters), and ClusterConfiguration's encryptionAlgorithm and validity periods
// applied to every key and certificate, written as LF-only PEM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { kubeconfigDefinitions } from '../../bootstrap/kubeconfigs.js';
import { runAgent } from '../../bootstrap/agent.js';
import { agent, agentHost, capture, initCluster, LOOPBACK } from './harness.js';

const subjectOf = (pem: string): string => new X509Certificate(pem).subject.replace(/\n/g, ', ');

test('admin.conf is kubeadm:cluster-admins, bound by the ClusterRoleBinding init creates; super-admin.conf is system:masters, init node only', { timeout: 120_000 }, async (t) => {
  const c = await initCluster();
  t.after(() => c.close());
  c.startApprover();
  const conf = (root: string, f: string): string => readFileSync(join(root, 'etc/kubernetes', f), 'utf8');
  const admin = conf(c.rootA, 'admin.conf');
  const superAdmin = conf(c.rootA, 'super-admin.conf');
  assert.equal(subjectOf(parseKubeconfig(admin).clientCertPem!), 'O=kubeadm:cluster-admins, CN=kubernetes-admin');
  assert.equal(subjectOf(parseKubeconfig(superAdmin).clientCertPem!), 'O=system:masters, CN=kubernetes-super-admin');
  assert.match(c.initOutput, /Creating the ClusterRoleBinding "kubeadm:cluster-admins" with super-admin\.conf/);
  const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);
  const crb = await rbac.readClusterRoleBinding({ name: 'kubeadm:cluster-admins' });
  assert.deepEqual({ ...crb.roleRef }, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
  assert.deepEqual(crb.subjects?.map((s) => [s.kind, s.name]), [['Group', 'kubeadm:cluster-admins']]);

  // admin.conf's rights come from that binding (the API server enforces RBAC): without it, Forbidden.
  const adminKc = new KubeConfig();
  adminKc.loadFromString(admin);
  const adminCore = adminKc.makeApiClient(CoreV1Api);
  assert.ok((await adminCore.listNamespacedSecret({ namespace: 'kube-system' })).items.length > 0);
  await rbac.deleteClusterRoleBinding({ name: 'kubeadm:cluster-admins' });
  await assert.rejects(adminCore.listNamespacedSecret({ namespace: 'kube-system' }), (e: { code?: number }) => e.code === 403);
  const superKc = new KubeConfig();
  superKc.loadFromString(superAdmin);
  assert.ok((await superKc.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' })).items.length > 0, 'super-admin.conf is break-glass');
  // the binding back, as a rerun of kubeadm's EnsureAdminClusterRoleBinding would make it
  await rbac.createClusterRoleBinding({ body: { metadata: { name: 'kubeadm:cluster-admins' }, roleRef: crb.roleRef, subjects: crb.subjects } });

  // A joining control plane gets admin.conf (same group) and no super-admin.conf.
  await c.core.createNode({ body: { metadata: { name: 'cp-1' } } });
  const rootB = join(c.base, 'b');
  const joined = await agent(['join', c.endpoint, '--root', rootB, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', c.endpoint.split(':')[1]!]);
  // WaitForAllControlPlaneComponents on join too
  assert.match(joined, /\[control-plane-check\] kube-controller-manager is healthy after/);
  assert.equal(subjectOf(parseKubeconfig(conf(rootB, 'admin.conf')).clientCertPem!), 'O=kubeadm:cluster-admins, CN=kubernetes-admin');
  assert.ok(!existsSync(join(rootB, 'etc/kubernetes/super-admin.conf')));
});

test('ControlPlaneKubeletLocalMode and NodeLocalCRISocket: a control plane\'s kubelet talks to its own API server; the CRI socket is in instance-config.yaml', { timeout: 120_000 }, async (t) => {
  const c = await initCluster();
  t.after(() => c.close());
  c.startApprover();
  const port = c.endpoint.split(':')[1]!;
  await c.core.createNode({ body: { metadata: { name: 'cp-1' } } });
  const rootB = join(c.base, 'b');
  const rootW = join(c.base, 'w');
  await agent(['join', c.endpoint, '--root', rootB, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane', '--certificate-key', c.certificateKey,
    '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', port]);
  await agent(['join', c.endpoint, '--root', rootW, '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--node-name', 'w-0']);
  const read = (root: string, f: string): string => readFileSync(join(root, f), 'utf8');
  // the init node's kubelet.conf is written for its local endpoint (here the same address as the endpoint)
  assert.equal(kubeconfigDefinitions('cp-0').find((k) => k.name === 'kubelet')?.server, 'local');
  assert.equal(parseKubeconfig(read(c.rootA, 'etc/kubernetes/kubelet.conf')).server, `https://127.0.0.1:${port}`);
  assert.equal(parseKubeconfig(read(rootB, 'etc/kubernetes/kubelet.conf')).server, `https://127.0.0.2:${port}`, 'the joined control plane\'s own API server');
  assert.equal(parseKubeconfig(read(rootW, 'etc/kubernetes/kubelet.conf')).server, `https://${c.endpoint}`, 'a worker keeps the endpoint');
  for (const root of [c.rootA, rootB, rootW]) {
    assert.equal(read(root, 'var/lib/kubelet/instance-config.yaml'), 'containerRuntimeEndpoint: "unix:///var/run/containerd/containerd.sock"\n');
    assert.match(read(root, 'var/lib/kubelet/config.yaml'), /^containerRuntimeEndpoint: unix:\/\/\/var\/run\/containerd\/containerd\.sock$/m);
    const env = read(root, 'var/lib/kubelet/kubeadm-flags.env');
    assert.ok(!/container-runtime-endpoint|pod-infra-container-image/.test(env), env);
  }
  const node = await c.core.readNode({ name: 'cp-1' });
  assert.equal(node.metadata?.annotations?.['kubeadm.alpha.kubernetes.io/cri-socket'], undefined);
});

test('WaitForAllControlPlaneComponents: init waits for the controller-manager and scheduler too, and names the ones that never answer', { timeout: 120_000 }, async (t) => {
  const c = await initCluster();
  t.after(() => c.close());
  assert.match(c.initOutput, /\[control-plane-check\] Checking kube-apiserver at https:\/\/127\.0\.0\.1:\d+\/livez/);
  assert.match(c.initOutput, new RegExp(`\\[control-plane-check\\] Checking kube-controller-manager at https://${LOOPBACK.replaceAll('.', '\\.')}:10257/healthz`));
  assert.match(c.initOutput, /\[control-plane-check\] kube-scheduler is healthy after/);
  // the same phase on a host where nothing answers on the loopback: it fails, naming both components
  const config = join(c.base, 'wait.yaml');
  writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration: {name: cp-0}
localAPIEndpoint: {advertiseAddress: 127.0.0.1, bindPort: ${c.endpoint.split(':')[1]}}
timeouts: {controlPlaneComponentHealthCheck: 3s}
`);
  const out = capture();
  const code = await runAgent(['init', 'phase', 'wait-control-plane', '--root', c.rootA, '--config', config], out.io, { host: { ...agentHost(), loopback: '127.0.0.9' } });
  assert.equal(code, 1, out.text());
  assert.match(out.text(), /the control plane did not become healthy within 3s: kube-controller-manager check failed at https:\/\/127\.0\.0\.9:10257\/healthz: .*; kube-scheduler check failed at https:\/\/127\.0\.0\.9:10259\/livez/);
  assert.match(out.text(), /kube-apiserver is healthy after/);
});

test('EtcdLearnerMode: a joining etcd member is added as a learner through the etcd API and promoted once in sync; one that never catches up stays a learner', { timeout: 120_000 }, async (t) => {
  const c = await initCluster();
  t.after(() => c.close());
  c.startApprover();
  const port = c.endpoint.split(':')[1]!;
  const members = (): string[][] => c.etcd.sim.list().map((m) => [m.name, m.peerURLs[0]!, m.isLearner ? 'learner' : 'voting']).sort();
  assert.deepEqual(members(), [['cp-0', 'https://127.0.0.1:2380', 'voting']]);
  await c.core.createNode({ body: { metadata: { name: 'cp-1' } } });
  const out = await agent(['join', c.endpoint, '--root', join(c.base, 'b'), '--token', c.token, '--discovery-token-ca-cert-hash', c.hash, '--control-plane',
    '--certificate-key', c.certificateKey, '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', port]);
  assert.match(out, new RegExp(`\\[etcd\\] etcd endpoints read from the etcd Pods: https://${LOOPBACK.replaceAll('.', '\\.')}:2379\n`));
  assert.match(out, /\[etcd\] Added etcd member ([0-9a-f]+) as learner: https:\/\/127\.0\.0\.2:2380 \(existing members: cp-0\)[\s\S]*\[etcd\] Waiting for the new etcd member to start and catch up[\s\S]*\[etcd\] The learner cp-1 \(\1\) was promoted as a voting member/);
  assert.deepEqual(members(), [['cp-0', 'https://127.0.0.1:2380', 'voting'], ['cp-1', 'https://127.0.0.2:2380', 'voting']]);

  // cp-2's etcd starts but never catches up with the leader: promotion is refused until the etcdAPICall timeout, the
  // phase fails naming etcd's answer, and it stays a learner
  const config = join(c.base, 'join-cp-2.yaml');
  writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
nodeRegistration: {name: cp-2}
discovery:
  bootstrapToken: {apiServerEndpoint: "${c.endpoint}", token: ${c.token}, caCertHashes: ["${c.hash}"]}
controlPlane:
  localAPIEndpoint: {advertiseAddress: 127.0.0.3, bindPort: ${port}}
  certificateKey: ${c.certificateKey}
timeouts: {etcdAPICall: 3s}
`);
  const rootC = join(c.base, 'c');
  c.etcd.setCatchUp(rootC, Infinity);
  await agent(['join', 'phase', 'control-plane-prepare', '--root', rootC, '--config', config]);
  const failed = capture();
  const code = await runAgent(['join', 'phase', 'etcd-join', '--root', rootC, '--config', config], failed.io, { host: agentHost() });
  assert.equal(code, 1, failed.text());
  assert.match(failed.text(), /etcd: the learner [0-9a-f]+ was not promoted \(it did not catch up with the leader\) within \d+s: etcdserver: can only promote a learner member which is in sync with leader/);
  assert.deepEqual(members(), [['cp-0', 'https://127.0.0.1:2380', 'voting'], ['cp-1', 'https://127.0.0.2:2380', 'voting'], ['cp-2', 'https://127.0.0.3:2380', 'learner']]);
  const etcd = readFileSync(join(rootC, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8');
  for (const m of ['cp-0=https://127.0.0.1:2380', 'cp-1=https://127.0.0.2:2380', 'cp-2=https://127.0.0.3:2380']) assert.match(etcd, new RegExp(`--initial-cluster=\\S*${m.replaceAll('.', '\\.')}`));
  assert.match(etcd, /--initial-cluster-state=existing/);
  // run again (a join retried): the learner is found by its peer URL and reused, not added twice
  const again = capture();
  assert.equal(await runAgent(['join', 'phase', 'etcd-join', '--root', rootC, '--config', config], again.io, { host: agentHost() }), 1);
  assert.match(again.text(), /\[etcd\] The etcd member [0-9a-f]+ for https:\/\/127\.0\.0\.3:2380 already exists \(a learner\); reusing it/);
  assert.equal(members().length, 3);
  assert.deepEqual(c.etcd.errors, []);
});

test('encryptionAlgorithm and the validity periods shape every key and certificate; all PEM is LF-only', { timeout: 120_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'clusterd-keys-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'root');
  const config = join(base, 'kubeadm.yaml');
  writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
nodeRegistration:
  name: cp-0
localAPIEndpoint:
  advertiseAddress: 127.0.0.1
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.37.2
encryptionAlgorithm: ECDSA-P384
certificateValidityPeriod: 720h
caCertificateValidityPeriod: 8760h
`);
  await agent(['phase', 'certs', '--root', root, '--config', config]);
  await agent(['phase', 'kubeconfig', '--root', root, '--config', config]);
  const pkiDir = join(root, 'etc/kubernetes/pki');
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
  const pems = files(pkiDir);
  assert.ok(pems.length >= 22, `${pems.length} files`);
  const hours = (x: X509Certificate): number => Math.round((Date.parse(x.validTo) - Date.parse(x.validFrom)) / 3_600_000);
  for (const f of pems) {
    const text = readFileSync(f, 'utf8');
    assert.ok(!text.includes('\r'), `${f}: LF only`);
    if (f.endsWith('.key')) {
      const key = createPrivateKey(text);
      assert.deepEqual([key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve], ['ec', 'secp384r1'], f);
      assert.ok(text.startsWith('-----BEGIN EC PRIVATE KEY-----\n'), f);
    }
    if (f.endsWith('.crt')) {
      const x = new X509Certificate(text);
      // the certificates are back-dated five minutes, as clock-skew margin
      assert.ok(Math.abs(hours(x) - (x.ca ? 8760 : 720)) <= 1, `${f}: ${hours(x)}h`);
      const ca = f.includes('/etcd/') || f.endsWith('apiserver-etcd-client.crt') ? join(pkiDir, 'etcd/ca.crt') : f.includes('front-proxy') ? join(pkiDir, 'front-proxy-ca.crt') : join(pkiDir, 'ca.crt');
      assert.match(execFileSync('openssl', ['verify', '-CAfile', ca, f], { encoding: 'utf8' }), /OK/, f);
      assert.match(execFileSync('openssl', ['x509', '-noout', '-text', '-in', f], { encoding: 'utf8' }), /ecdsa-with-SHA384/, f);
    }
  }
  for (const kc of ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf']) {
    const parsed = parseKubeconfig(readFileSync(join(root, 'etc/kubernetes', kc), 'utf8'));
    assert.equal(createPrivateKey(parsed.clientKeyPem!).asymmetricKeyDetails?.namedCurve, 'secp384r1', kc);
    assert.ok(Math.abs(hours(new X509Certificate(parsed.clientCertPem!)) - 720) <= 1, kc);
  }
});
