// The "Done when" scenario: agent init against the embedded API server, a control-plane join with the certificate
// key (byte-identical shared certificates), and a worker join that ends with an approved CSR and a kubelet.conf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startApiServer } from '../../apiserver/index.js';
import { runAgent } from '../../bootstrap/agent.js';
import { caCertHash } from '../../lib/pki.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { agent as harnessAgent, approveCsrs, LOOPBACK, STAND_IN_PORTS, standInMembers } from './harness.js';
import { EtcdStandIn } from './etcd-stand-in.js';

function capture(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; text(): string } {
  let buf = '';
  const w = { write: (s: string): boolean => { buf += s; return true; } };
  return { io: { stdout: w, stderr: w }, text: () => buf };
}

async function agent(args: string[]): Promise<string> {
  return harnessAgent(args);
}

test('init, control-plane join and worker join against the embedded API server', { timeout: 120_000 }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'clusterd-bootstrap-'));
  const [A, B, C] = ['a', 'b', 'c'].map((n) => join(base, n)) as [string, string, string];
  const pki = (root: string, f: string): string => join(root, 'etc/kubernetes/pki', f);
  const token = 'abcdef.0123456789abcdef';

  // 1. The certs phase alone, so the stand-in API server can serve with the apiserver certificate init will use.
  await agent(['phase', 'certs', '--root', A, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1',
    // the stand-in API server also answers for the joining control planes' own addresses: their kubelets talk to it there
    '--apiserver-cert-extra-sans', '127.0.0.2,127.0.0.3']);
  const server = await startApiServer({
    port: 0, bindAddress: '127.0.0.1', authorization: 'RBAC', enableBootstrapTokenAuth: true, anonymous: true,
    tls: { certPem: readFileSync(pki(A, 'apiserver.crt'), 'utf8'), keyPem: readFileSync(pki(A, 'apiserver.key'), 'utf8') },
    clientCA: { certPem: readFileSync(pki(A, 'ca.crt'), 'utf8'), keyPem: readFileSync(pki(A, 'ca.key'), 'utf8') },
  });
  const members = await standInMembers(server, (f) => pki(A, f), ['127.0.0.2']);
  const approver = new AbortController();
  t.after(async () => {
    approver.abort();
    await Promise.all(members.map((m) => m.close()));
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });
  const endpoint = `127.0.0.1:${server.port}`;
  const kc = new KubeConfig();
  kc.loadFromString(server.adminKubeconfig());
  const core = kc.makeApiClient(CoreV1Api);
  const etcdStandIn = new EtcdStandIn(core, LOOPBACK, base);
  t.after(() => etcdStandIn.close());
  // The kubelets would register these Nodes; mark-control-plane waits for them.
  for (const name of ['cp-0', 'cp-1']) await core.createNode({ body: { metadata: { name } } });

  // 2. init into root A
  const initOut = await agent([
    'init', '--root', A, '--node-name', 'cp-0', '--apiserver-advertise-address', '127.0.0.1', '--apiserver-bind-port', String(server.port),
    '--control-plane-endpoint', endpoint, '--token', token, '--upload-certs', `--ignore-preflight-errors=Port-${server.port},${STAND_IN_PORTS}`,
  ]);
  assert.match(initOut, /\[certs\] Using existing ca certificate authority/);
  assert.match(initOut, /Your Kubernetes control-plane has initialized successfully!/);
  const certificateKey = /--certificate-key ([0-9a-f]{64})/.exec(initOut)?.[1];
  assert.ok(certificateKey, 'init prints the control-plane join command with a certificate key');
  const caPem = readFileSync(pki(A, 'ca.crt'), 'utf8');
  const hash = caCertHash(caPem);
  assert.ok(initOut.includes(hash));
  for (const f of ['admin.conf', 'kubelet.conf', 'controller-manager.conf', 'scheduler.conf', 'manifests/etcd.yaml', 'manifests/kube-apiserver.yaml',
    'manifests/kube-controller-manager.yaml', 'manifests/kube-scheduler.yaml']) {
    assert.ok(existsSync(join(A, 'etc/kubernetes', f)), f);
  }
  const secret = await core.readNamespacedSecret({ name: 'bootstrap-token-abcdef', namespace: 'kube-system' });
  assert.equal(secret.type, 'bootstrap.kubernetes.io/token');
  assert.equal(Buffer.from(secret.data!['auth-extra-groups']!, 'base64').toString(), 'system:bootstrappers:kubeadm:default-node-token');
  const clusterInfo = await core.readNamespacedConfigMap({ name: 'cluster-info', namespace: 'kube-public' });
  assert.ok(clusterInfo.data?.['jws-kubeconfig-abcdef']);
  const certs = await core.readNamespacedSecret({ name: 'kubeadm-certs', namespace: 'kube-system' });
  assert.deepEqual(Object.keys(certs.data ?? {}).sort(), ['ca.crt', 'ca.key', 'etcd-ca.crt', 'etcd-ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub']);
  const owner = certs.metadata?.ownerReferences?.[0];
  assert.equal(owner?.kind, 'Secret');
  assert.match(owner?.name ?? '', /^bootstrap-token-[a-z0-9]{6}$/);
  const kubeadmConfig = await core.readNamespacedConfigMap({ name: 'kubeadm-config', namespace: 'kube-system' });
  assert.ok(!kubeadmConfig.data?.ClusterConfiguration?.includes(token.split('.')[1]!), 'kubeadm-config carries no token');
  const cp0 = await core.readNode({ name: 'cp-0' });
  assert.equal(cp0.metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');
  assert.ok(cp0.spec?.taints?.some((x) => x.key === 'node-role.kubernetes.io/control-plane' && x.effect === 'NoSchedule'));

  // Stand-in for the CSR approver and signer: approve every pending CSR and sign it with the cluster CA.
  const approved = approveCsrs(kc, { certPem: caPem, keyPem: readFileSync(pki(A, 'ca.key'), 'utf8') }, approver.signal);

  // 3. control-plane join into root B
  const joinCP = await agent([
    'join', endpoint, '--root', B, '--token', token, '--discovery-token-ca-cert-hash', hash, '--control-plane', '--certificate-key', certificateKey,
    '--node-name', 'cp-1', '--apiserver-advertise-address', '127.0.0.2', '--apiserver-bind-port', String(server.port),
  ]);
  assert.match(joinCP, /\[download-certs\] Downloading the certificates in Secret "kubeadm-certs"/);
  for (const f of ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key']) {
    assert.ok(readFileSync(pki(A, f)).equals(readFileSync(pki(B, f))), `${f} is byte-identical`);
  }
  assert.notDeepEqual(readFileSync(pki(A, 'apiserver.crt')), readFileSync(pki(B, 'apiserver.crt')), 'node-specific certificates are not copied');
  const etcd = yaml.load(readFileSync(join(B, 'etc/kubernetes/manifests/etcd.yaml'), 'utf8')) as { spec: { containers: { command: string[] }[] } };
  const cmd = etcd.spec.containers[0]!.command;
  assert.ok(cmd.some((a) => /^--initial-cluster=(cp-0=https:\/\/127\.0\.0\.1:2380,cp-1=https:\/\/127\.0\.0\.2:2380|cp-1=https:\/\/127\.0\.0\.2:2380,cp-0=https:\/\/127\.0\.0\.1:2380)$/.test(a)), cmd.join(' '));
  assert.ok(cmd.includes('--initial-cluster-state=existing'));
  // the learner was added through the etcd API, started and promoted: two voting members
  assert.match(joinCP, /\[etcd\] Added etcd member [0-9a-f]+ as learner: https:\/\/127\.0\.0\.2:2380 \(existing members: cp-0\)/);
  assert.deepEqual(etcdStandIn.sim.list().map((m) => [m.name, m.isLearner, m.running]).sort(), [['cp-0', false, true], ['cp-1', false, true]]);
  assert.equal((await core.readNode({ name: 'cp-1' })).metadata?.labels?.['node-role.kubernetes.io/control-plane'], '');

  // 4. worker join into root C
  const joinW = await agent(['join', endpoint, '--root', C, '--token', token, '--discovery-token-ca-cert-hash', hash, '--node-name', 'w-0']);
  assert.match(joinW, /TLS bootstrap complete/);
  assert.ok(!existsSync(join(C, 'etc/kubernetes/bootstrap-kubelet.conf')), 'bootstrap-kubelet.conf is removed');
  const kubeletConf = parseKubeconfig(readFileSync(join(C, 'etc/kubernetes/kubelet.conf'), 'utf8'));
  assert.equal(kubeletConf.clientCertificatePath, '/var/lib/kubelet/pki/kubelet-client-current.pem');
  assert.equal(kubeletConf.server, `https://${endpoint}`);
  const pem = join(C, 'var/lib/kubelet/pki/kubelet-client-current.pem');
  const verify = execFileSync('openssl', ['verify', '-CAfile', pki(A, 'ca.crt'), pem], { encoding: 'utf8' });
  assert.match(verify, /: OK/);
  const subject = execFileSync('openssl', ['x509', '-in', pem, '-noout', '-subject'], { encoding: 'utf8' });
  assert.match(subject, /O\s*=\s*system:nodes, CN\s*=\s*system:node:w-0/);
  assert.ok(approved.length >= 2, 'the worker and the joining control plane each had a CSR approved');
  const wrong = capture();
  const code = await runAgent(['join', endpoint, '--root', join(base, 'd'), '--token', token, '--discovery-token-ca-cert-hash', hash, '--control-plane',
    '--certificate-key', 'ff'.repeat(32), '--node-name', 'cp-2', '--apiserver-advertise-address', '127.0.0.3', '--skip-phases', 'preflight'], wrong.io);
  assert.equal(code, 1);
  assert.match(wrong.text(), /certificate key does not match[\s\S]*clusterd agent phase upload-certs/);
  assert.ok(!wrong.text().includes('ff'.repeat(32)), 'the certificate key is not echoed');
});
