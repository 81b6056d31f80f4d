/**
 * What each identity of kubeadm's design may do in a cluster that `clusterd agent init` set up (kubeadm's RBAC
 * objects on the embedded API server with Node,RBAC and NodeRestriction): the admin, the kubelet of node A, a
 * bootstrap token, anonymous, the controller-manager and the scheduler, each with the credentials init wrote for it.
 * Every row is what kube-apiserver's RBAC bootstrap policy, Node authorizer and NodeRestriction decide.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { newCsr, newPrivateKey } from '../../lib/pki.js';
import { initCluster, type InitCluster } from '../bootstrap/harness.js';
import { rawRequest } from '../support/raw-https.js';

type Identity = 'admin' | 'kubelet-a' | 'bootstrap' | 'anonymous' | 'controller-manager' | 'scheduler';
interface Client { agent: Agent; token?: string }

let cluster: InitCluster;
let url: URL;
const clients = new Map<Identity, Client>();

function fromKubeconfig(root: string, file: string): Client {
  const kc = parseKubeconfig(readFileSync(join(root, 'etc/kubernetes', file), 'utf8'));
  const under = (p: string | undefined): string | undefined => (p ? readFileSync(p.startsWith('/') ? join(root, p) : p, 'utf8') : undefined);
  const cert = kc.clientCertPem ?? under(kc.clientCertificatePath);
  const key = kc.clientKeyPem ?? under(kc.clientKeyPath) ?? cert;
  return { agent: new Agent({ keepAlive: true, ca: kc.caPem, cert, key }) };
}

function call(who: Identity, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  const c = clients.get(who)!;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (payload !== undefined) headers['Content-Type'] = contentType;
  if (c.token) headers.Authorization = `Bearer ${c.token}`;
  return rawRequest({ url, method, path, agent: c.agent, body: payload, headers });
}

before(async () => {
  cluster = await initCluster();
  url = new URL(`https://${cluster.endpoint}`);
  const ca = cluster.caPem;
  clients.set('admin', fromKubeconfig(cluster.rootA, 'admin.conf'));
  clients.set('kubelet-a', fromKubeconfig(cluster.rootA, 'kubelet.conf'));
  clients.set('controller-manager', fromKubeconfig(cluster.rootA, 'controller-manager.conf'));
  clients.set('scheduler', fromKubeconfig(cluster.rootA, 'scheduler.conf'));
  clients.set('bootstrap', { agent: new Agent({ keepAlive: true, ca }), token: cluster.token });
  clients.set('anonymous', { agent: new Agent({ keepAlive: true, ca }) });
  const ok = async (method: string, path: string, body: unknown): Promise<void> => {
    const r = await call('admin', method, path, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.body}`);
  };
  await ok('POST', '/api/v1/nodes', { metadata: { name: 'cp-1' } });
  for (const s of ['for-a', 'for-b']) await ok('POST', '/api/v1/namespaces/kube-system/secrets', { metadata: { name: s }, stringData: { k: 'v' } });
  const pod = (name: string, node: string, secret: string): unknown => ({ metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], volumes: [{ name: 'v', secret: { secretName: secret } }] } });
  await ok('POST', '/api/v1/namespaces/kube-system/pods', pod('on-a', 'cp-0', 'for-a'));
  await ok('POST', '/api/v1/namespaces/kube-system/pods', pod('on-b', 'cp-1', 'for-b'));
});

after(async () => {
  for (const c of clients.values()) c.agent.destroy();
  await cluster?.close();
});

const csr = (name: string, cn: string): unknown => ({
  apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
  spec: { request: Buffer.from(newCsr(newPrivateKey(), cn, ['system:nodes'])).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
});
const mirrorPod = (node: string): unknown => ({ metadata: { name: `mirror-${node}`, annotations: { 'kubernetes.io/config.mirror': 'x' } }, spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }] } });
const crb = { metadata: { name: 'escalate' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'mallory' }] };
const merge = 'application/merge-patch+json';

type Row = [Identity, 'allow' | 'deny', string, string, unknown?, string?];
const TABLE: Row[] = [
  // kubeadm's admin (group kubeadm:cluster-admins, bound to cluster-admin).
  ['admin', 'allow', 'GET', '/api/v1/namespaces/kube-system/secrets'],
  ['admin', 'allow', 'DELETE', '/api/v1/nodes/cp-1?dryRun=All'],
  ['admin', 'allow', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?dryRun=All', crb],
  // The kubelet of node A (cp-0): Node authorizer, NodeRestriction, and kubeadm's Roles for system:nodes.
  ['kubelet-a', 'allow', 'GET', '/api/v1/nodes/cp-0'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/nodes/cp-1'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/nodes'],
  ['kubelet-a', 'allow', 'PATCH', '/api/v1/nodes/cp-0', { metadata: { labels: { 'example.com/pool': 'a' } } }, merge],
  ['kubelet-a', 'deny', 'PATCH', '/api/v1/nodes/cp-0', { metadata: { labels: { 'node-restriction.kubernetes.io/trusted': 'yes' } } }, merge],
  ['kubelet-a', 'deny', 'PATCH', '/api/v1/nodes/cp-1', { metadata: { labels: { 'example.com/pool': 'a' } } }, merge],
  ['kubelet-a', 'deny', 'DELETE', '/api/v1/nodes/cp-1'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets/kubeadm-certs'],
  ['kubelet-a', 'allow', 'GET', '/api/v1/namespaces/kube-system/secrets/for-a'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets/for-b'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/secrets'],
  ['kubelet-a', 'allow', 'GET', '/api/v1/namespaces/kube-system/configmaps/kubelet-config'],
  ['kubelet-a', 'allow', 'GET', '/api/v1/namespaces/kube-system/configmaps/kubeadm-config'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info'],
  ['kubelet-a', 'allow', 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dcp-0'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/pods'],
  ['kubelet-a', 'allow', 'GET', '/api/v1/namespaces/kube-system/pods/on-a'],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces/kube-system/pods/on-b'],
  ['kubelet-a', 'deny', 'POST', '/api/v1/namespaces/kube-system/pods', mirrorPod('cp-1')],
  ['kubelet-a', 'deny', 'DELETE', '/api/v1/namespaces/kube-system/pods/on-b'],
  ['kubelet-a', 'deny', 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'cp-1' } }],
  ['kubelet-a', 'allow', 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr('kubelet-own', 'system:node:cp-0')],
  ['kubelet-a', 'deny', 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr('kubelet-other', 'system:node:cp-1')],
  ['kubelet-a', 'deny', 'GET', '/api/v1/namespaces'],
  ['kubelet-a', 'deny', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb],
  // A bootstrap token of group system:bootstrappers:kubeadm:default-node-token.
  ['bootstrap', 'allow', 'POST', '/apis/certificates.k8s.io/v1/certificatesigningrequests', csr('joiner', 'system:node:new-node')],
  ['bootstrap', 'allow', 'GET', '/api/v1/nodes/cp-0'],
  ['bootstrap', 'deny', 'GET', '/api/v1/nodes'],
  ['bootstrap', 'allow', 'GET', '/api/v1/namespaces/kube-system/configmaps/kubeadm-config'],
  ['bootstrap', 'allow', 'GET', '/api/v1/namespaces/kube-system/configmaps/kubelet-config'],
  ['bootstrap', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets'],
  ['bootstrap', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef'],
  ['bootstrap', 'deny', 'GET', '/api/v1/pods'],
  ['bootstrap', 'deny', 'POST', '/api/v1/nodes', { metadata: { name: 'sneaky' } }],
  // Anonymous: the cluster-info ConfigMap and the public info only.
  ['anonymous', 'allow', 'GET', '/version'],
  ['anonymous', 'allow', 'GET', '/healthz'],
  ['anonymous', 'allow', 'GET', '/api/v1/namespaces/kube-public/configmaps/cluster-info'],
  ['anonymous', 'deny', 'GET', '/api/v1/namespaces/kube-system/configmaps/kubeadm-config'],
  ['anonymous', 'deny', 'GET', '/api/v1/namespaces'],
  ['anonymous', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets'],
  ['anonymous', 'deny', 'GET', '/api'],
  // The controller-manager's own identity (system:kube-controller-manager).
  ['controller-manager', 'allow', 'GET', '/api/v1/pods'],
  ['controller-manager', 'allow', 'GET', '/api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef'],
  ['controller-manager', 'deny', 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }],
  ['controller-manager', 'deny', 'DELETE', '/api/v1/nodes/cp-1'],
  ['controller-manager', 'deny', 'PATCH', '/api/v1/nodes/cp-0', { metadata: { labels: { a: 'b' } } }, merge],
  ['controller-manager', 'deny', 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', crb],
  // The scheduler (system:kube-scheduler).
  ['scheduler', 'allow', 'GET', '/api/v1/nodes'],
  ['scheduler', 'allow', 'GET', '/api/v1/pods'],
  ['scheduler', 'allow', 'DELETE', '/api/v1/namespaces/kube-system/pods/on-b?dryRun=All'],
  ['scheduler', 'deny', 'GET', '/api/v1/namespaces/kube-system/secrets/for-a'],
  ['scheduler', 'deny', 'GET', '/api/v1/namespaces/kube-system/configmaps'],
  ['scheduler', 'deny', 'DELETE', '/api/v1/nodes/cp-1'],
  ['scheduler', 'deny', 'POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } }],
];

test('each kubeadm identity may do exactly what kube-apiserver allows it', async () => {
  const wrong: string[] = [];
  for (const [who, want, method, path, body, ct] of TABLE) {
    const r = await call(who, method, path, body, ct);
    const got = r.status === 403 ? 'deny' : r.status === 401 ? 'unauthenticated' : 'allow';
    if (got !== want) wrong.push(`${who} ${method} ${path}: want ${want}, got ${r.status} ${r.body.slice(0, 200)}`);
    // A denial is kube's Forbidden Status naming the user.
    if (got === 'deny') assert.match(r.body, /"reason":"Forbidden"/);
  }
  assert.deepEqual(wrong, []);
});
