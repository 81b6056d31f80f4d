/**
 * The in-memory provider's machinery with hand-made PKI and static Pod manifests (no bootstrap agent):
 * a machine's cloud-init writes them, its kubelet starts the API server and controller-manager from the
 * flags, registers its Node through the load balancer, and the controller-manager approves and signs a
 * bootstrap-token CSR, signs cluster-info, and cleans an expired token (and, by GC, what it owns).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { kubeconfigYaml } from '../../lib/kubeconfig.js';
import { newLogger, silentLogger } from '../../lib/logging.js';
import { newCsr, newPrivateKey, newSelfSignedCA, signCert, verifyIssuedBy } from '../../lib/pki.js';
import { createInMemoryProvider } from '../../providers/inmemory/provider.js';
import type { ClusterLike, MachineLike } from '../../providers/types.js';

const run = promisify(execFile);

const LB = '127.31.0.1';
const CP = '127.31.0.2';

function manifest(component: string, command: string[]): string {
  return yaml.dump({ apiVersion: 'v1', kind: 'Pod', metadata: { name: component, namespace: 'kube-system', labels: { component, tier: 'control-plane' } }, spec: { hostNetwork: true, containers: [{ name: component, image: `registry.k8s.io/${component}:v1.37.2`, command }] } });
}

test('a machine boots from user-data, serves the API through the load balancer and runs the controllers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inmemory-smoke-'));
  const provider = createInMemoryProvider({ dataDir: join(dir, 'inmemory'), logger: process.env.PROVIDERS_TEST_LOG ? newLogger({ level: 'debug' }) : silentLogger() }, {
    runAgent: async () => 0, leaseRenewMs: 500,
  });
  t.after(async () => {
    await provider.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const cluster: ClusterLike = { metadata: { name: 'smoke', namespace: 'default', uid: 'c1' }, spec: { infrastructure: { provider: 'inmemory', config: { addressRange: '127.31.0.0/24' } } } };
  const infra = await provider.reconcileClusterInfrastructure({ cluster });
  assert.deepEqual(infra, { status: 'done', value: { ready: true, controlPlaneEndpoint: { host: LB, port: 6443 } } });

  const ca = newSelfSignedCA('kubernetes');
  const serving = signCert({ commonName: 'kube-apiserver', altNames: [CP, LB, 'kubernetes'], usages: ['server'] }, ca);
  const admin = signCert({ commonName: 'kubernetes-admin', organization: ['system:masters'], usages: ['client'] }, ca);
  const kcm = signCert({ commonName: 'system:kube-controller-manager', usages: ['client'] }, ca);
  const kubelet = signCert({ commonName: 'system:node:cp1', organization: ['system:nodes'], usages: ['client'] }, ca);
  const kc = (user: string, c: { certPem: string; keyPem: string }, server: string) =>
    kubeconfigYaml({ clusterName: 'smoke', server, caPem: ca.certPem, userName: user, clientCertPem: c.certPem, clientKeyPem: c.keyPem });
  const files: Record<string, string> = {
    '/etc/kubernetes/pki/ca.crt': ca.certPem, '/etc/kubernetes/pki/ca.key': ca.keyPem,
    '/etc/kubernetes/pki/apiserver.crt': serving.certPem, '/etc/kubernetes/pki/apiserver.key': serving.keyPem,
    '/etc/kubernetes/admin.conf': kc('kubernetes-admin', admin, `https://${LB}:6443`),
    '/etc/kubernetes/controller-manager.conf': kc('system:kube-controller-manager', kcm, `https://${CP}:6443`),
    '/etc/kubernetes/kubelet.conf': kc('system:node:cp1', kubelet, `https://${LB}:6443`),
    '/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS="--node-labels=example.com/pool=cp --register-with-taints=dedicated=cp:NoSchedule"\n',
    '/etc/kubernetes/manifests/kube-apiserver.yaml': manifest('kube-apiserver', ['kube-apiserver', `--advertise-address=${CP}`, '--secure-port=6443',
      '--tls-cert-file=/etc/kubernetes/pki/apiserver.crt', '--tls-private-key-file=/etc/kubernetes/pki/apiserver.key', '--client-ca-file=/etc/kubernetes/pki/ca.crt',
      '--enable-bootstrap-token-auth=true', '--authorization-mode=Node,RBAC']),
    '/etc/kubernetes/manifests/kube-controller-manager.yaml': manifest('kube-controller-manager', ['kube-controller-manager', '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt', '--cluster-signing-key-file=/etc/kubernetes/pki/ca.key', '--controllers=*,bootstrapsigner,tokencleaner']),
  };
  const userData = '#cloud-config\n' + yaml.dump({ write_files: Object.entries(files).map(([path, content]) => ({ path, content, permissions: path.endsWith('.key') ? '0600' : '0644' })) });
  const machine: MachineLike = { metadata: { name: 'cp1', namespace: 'default', uid: 'm1' }, spec: { clusterName: 'smoke', version: 'v1.37.2' } };
  const created = await provider.createOrGetMachine({ cluster, machine, userData });
  assert.equal(created.status, 'done');
  assert.equal(created.status === 'done' && created.value.providerID, 'inmemory:///default/smoke/cp1');
  assert.deepEqual(created.status === 'done' && created.value.addresses[0], { type: 'InternalIP', address: CP });

  const adminPath = join(dir, 'admin.conf');
  writeFileSync(adminPath, files['/etc/kubernetes/admin.conf']!);
  const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', ['--kubeconfig', adminPath, ...args])).stdout;
  const until = async (what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> => {
    const end = Date.now() + ms;
    for (;;) {
      if (await fn().catch(() => false)) return;
      if (Date.now() > end) {
        if (process.env.PROVIDERS_TEST_LOG) console.log(await kubectl('get', 'csr', '-o', 'yaml').catch((e: Error) => e.message));
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  // The Node, registered with kubelet.conf through the load balancer.
  await until('node cp1 Ready', async () => (await kubectl('get', 'node', 'cp1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')) === 'True');
  const node = JSON.parse(await kubectl('get', 'node', 'cp1', '-o', 'json')) as { spec: { providerID: string; taints: { key: string }[] }; metadata: { labels: Record<string, string> }; status: { nodeInfo: { kubeletVersion: string } } };
  assert.equal(node.spec.providerID, 'inmemory:///default/smoke/cp1');
  assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.37.2');
  assert.equal(node.metadata.labels['example.com/pool'], 'cp');
  assert.deepEqual(node.spec.taints.map((x) => x.key), ['dedicated']);
  await until('lease', async () => (await kubectl('get', 'lease', '-n', 'kube-node-lease', 'cp1', '-o', 'jsonpath={.spec.holderIdentity}')) === 'cp1');

  // Bootstrap token + kubeadm's auto-approve binding: a kubelet client CSR gets approved and signed.
  const exp = (s: number) => new Date(Date.now() + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const token = (id: string, secret: string, expiresIn: number) => ({
    apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token', metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    stringData: { 'token-id': id, 'token-secret': secret, expiration: exp(expiresIn), 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
  });
  const objects = [
    token('abcdef', '0123456789abcdef', 3600),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'kubeadm:node-autoapprove-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient' }, subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token', apiGroup: 'rbac.authorization.k8s.io' }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'kubeadm:kubelet-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' }, subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token', apiGroup: 'rbac.authorization.k8s.io' }] },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: { kubeconfig: 'apiVersion: v1\nkind: Config\n' } },
  ];
  const objPath = join(dir, 'objects.json');
  writeFileSync(objPath, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await kubectl('create', '--validate=false', '-f', objPath);

  const key = newPrivateKey();
  const csr = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'node-csr-w1' },
    spec: { request: Buffer.from(newCsr(key, 'system:node:w1', ['system:nodes'])).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] } };
  const csrPath = join(dir, 'csr.json');
  writeFileSync(csrPath, JSON.stringify(csr));
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  await run('kubectl', ['--server', `https://${LB}:6443`, '--certificate-authority', join(dir, 'ca.crt'), '--token', 'abcdef.0123456789abcdef', 'create', '--validate=false', '-f', csrPath]);
  // kube-apiserver records the requester in spec.username/groups on create (the approver's input).
  // Until the embedded server does, fill them in as it would for this bootstrap-token request.
  const stored = JSON.parse(await kubectl('get', 'csr', 'node-csr-w1', '-o', 'json')) as { spec: Record<string, unknown> };
  if (!stored.spec.username) {
    stored.spec.username = 'system:bootstrap:abcdef';
    stored.spec.groups = ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'];
    writeFileSync(csrPath, JSON.stringify(stored));
    await kubectl('replace', '--validate=false', '-f', csrPath);
  }
  await until('csr signed', async () => (await kubectl('get', 'csr', 'node-csr-w1', '-o', 'jsonpath={.status.certificate}')).length > 0);
  const signed = JSON.parse(await kubectl('get', 'csr', 'node-csr-w1', '-o', 'json')) as { spec: { username: string }; status: { conditions: { type: string; reason: string }[]; certificate: string } };
  assert.equal(signed.spec.username, 'system:bootstrap:abcdef');
  assert.deepEqual(signed.status.conditions.map((c) => [c.type, c.reason]), [['Approved', 'AutoApproved']]);
  assert.ok(verifyIssuedBy(Buffer.from(signed.status.certificate, 'base64').toString(), ca.certPem));
  assert.match(await kubectl('get', 'csr'), /node-csr-w1\s.*Approved,Issued/);

  // A CSR for a name outside system:nodes is left alone.
  const other = { ...csr, metadata: { name: 'not-a-node' }, spec: { ...csr.spec, request: Buffer.from(newCsr(key, 'mallory', ['system:masters'])).toString('base64') } };
  writeFileSync(csrPath, JSON.stringify(other));
  await run('kubectl', ['--server', `https://${LB}:6443`, '--certificate-authority', join(dir, 'ca.crt'), '--token', 'abcdef.0123456789abcdef', 'create', '--validate=false', '-f', csrPath]);

  // Bootstrap signer: cluster-info carries the token's JWS.
  await until('cluster-info signed', async () => (await kubectl('get', 'cm', '-n', 'kube-public', 'cluster-info', '-o', 'jsonpath={.data.jws-kubeconfig-abcdef}')).includes('..'));

  // Token cleaner: a token expiring in 2 s goes, and the Secret it owns goes with it (GC).
  writeFileSync(objPath, JSON.stringify(token('zyxwvu', 'fedcba9876543210', 2)));
  const uid = (await kubectl('create', '--validate=false', '-f', objPath, '-o', 'jsonpath={.metadata.uid}')).trim();
  writeFileSync(objPath, JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'kubeadm-certs', namespace: 'kube-system', ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'bootstrap-token-zyxwvu', uid, blockOwnerDeletion: true, controller: true }] }, stringData: { x: 'y' } }));
  await kubectl('create', '--validate=false', '-f', objPath);
  await until('expired token and kubeadm-certs gone', async () => !(await kubectl('get', 'secret', '-n', 'kube-system', '-o', 'name')).includes('kubeadm-certs'), 15_000);
  assert.doesNotMatch(await kubectl('get', 'secret', '-n', 'kube-system', '-o', 'name'), /bootstrap-token-zyxwvu/);
  await until('jws of the expired token removed', async () => !(await kubectl('get', 'cm', '-n', 'kube-public', 'cluster-info', '-o', 'json')).includes('jws-kubeconfig-zyxwvu'));
  assert.equal(await kubectl('get', 'csr', 'not-a-node', '-o', 'jsonpath={.status.conditions}'), '');

  // Idempotent: asking again reports the same machine; listMachines sees it.
  const again = await provider.createOrGetMachine({ cluster, machine, userData });
  assert.equal(again.status === 'done' && again.value.state, 'Running');
  assert.deepEqual((await provider.listMachines({ cluster })).map((m) => m.machineName), ['cp1']);

  // Delete: processes stop, root goes, the endpoint has no member left.
  assert.deepEqual(await provider.deleteMachine({ cluster, machine }), { status: 'done', value: undefined });
  assert.deepEqual(await provider.listMachines({ cluster }), []);
  assert.deepEqual(await provider.deleteClusterInfrastructure({ cluster }), { status: 'done', value: undefined });
});
