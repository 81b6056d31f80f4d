/** Authentication (certificates, static and bootstrap tokens, anonymous), RBAC, and servers sharing one store. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../../lib/kubeconfig.js';
import { signCert } from '../../lib/pki.js';
import { openStorage, startApiServer, type RunningApiServer, type Storage } from '../../apiserver/index.js';
import { newSelfSignedCA } from '../../lib/pki.js';
import { eventually } from './helpers.js';

const ca = newSelfSignedCA('test-ca');
let shared: Storage;
let a: RunningApiServer;
let b: RunningApiServer;

function kcFor(server: RunningApiServer, user: { token?: string; cert?: { certPem: string; keyPem: string } }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml({ clusterName: 'c', server: server.url, caPem: server.caPem, userName: 'u', token: user.token, clientCertPem: user.cert?.certPem, clientKeyPem: user.cert?.keyPem }));
  return kc;
}

const code = (e: unknown): number | undefined => (e as { code?: number }).code;

before(async () => {
  shared = openStorage({});
  const opts = {
    port: 0, storage: shared, clientCA: ca, authorization: 'RBAC' as const, anonymous: true, enableBootstrapTokenAuth: true,
    tokens: [{ token: 'reader-token', user: 'reader', groups: ['readers'] }],
  };
  a = await startApiServer(opts);
  b = await startApiServer(opts);
});

after(async () => {
  await a.close();
  await b.close();
  shared.close();
});

test('admin certificate (system:masters) may do anything; an unknown token is 401', async () => {
  const admin = a.kubeConfig().makeApiClient(CoreV1Api);
  await admin.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'x' } } });
  const bad = kcFor(a, { token: 'nope' }).makeApiClient(CoreV1Api);
  await assert.rejects(bad.listNamespacedConfigMap({ namespace: 'default' }), (e) => code(e) === 401);
  const foreign = signCert({ commonName: 'mallory', organization: ['system:masters'], usages: ['client'] }, newSelfSignedCA('other'));
  await assert.rejects(kcFor(a, { cert: foreign }).makeApiClient(CoreV1Api).listNamespace(), (e) => code(e) === 401);
});

test('RBAC: a static-token user is forbidden until a RoleBinding grants it', async () => {
  const reader = kcFor(a, { token: 'reader-token' }).makeApiClient(CoreV1Api);
  await assert.rejects(reader.listNamespacedConfigMap({ namespace: 'default' }), (e) => code(e) === 403 && /User \\?"reader\\?" cannot list resource \\?"configmaps\\?"/.test(String((e as { body?: string }).body)));
  const admin = a.kubeConfig();
  await admin.makeApiClient(CoreV1Api).listNamespace();
  const { RbacAuthorizationV1Api } = await import('@kubernetes/client-node');
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRoleBinding({ namespace: 'default', body: { metadata: { name: 'readers-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'readers' }] } });
  assert.ok((await reader.listNamespacedConfigMap({ namespace: 'default' })).items.length >= 1);
  await assert.rejects(reader.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'y' } } }), (e) => code(e) === 403);
  await assert.rejects(reader.listNamespacedConfigMap({ namespace: 'kube-system' }), (e) => code(e) === 403);
  const ask = async (verb: string, namespace: string): Promise<boolean> => {
    const { AuthorizationV1Api } = await import('@kubernetes/client-node');
    const review = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({ body: { spec: { user: 'reader', groups: ['readers'], resourceAttributes: { verb, resource: 'configmaps', namespace } } } });
    return review.status!.allowed;
  };
  assert.equal(await ask('list', 'default'), true);
  assert.equal(await ask('delete', 'default'), false);
  // Anonymous requests reach the authorizer, which lets them read /version only (system:public-info-viewer).
  const anon = kcFor(a, {});
  await assert.rejects(anon.makeApiClient(CoreV1Api).listNamespace(), (e) => code(e) === 403);
});

test('bootstrap tokens authenticate as system:bootstrap:<id> until they expire', async () => {
  const admin = a.kubeConfig().makeApiClient(CoreV1Api);
  const secret = (id: string, expiration: string): Parameters<CoreV1Api['createNamespacedSecret']>[0]['body'] => ({
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': id, 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token', expiration },
  });
  await admin.createNamespacedSecret({ namespace: 'kube-system', body: secret('abcdef', new Date(Date.now() + 3600_000).toISOString()) });
  await admin.createNamespacedSecret({ namespace: 'kube-system', body: secret('zzzzzz', new Date(Date.now() - 1000).toISOString()) });
  const joiner = kcFor(a, { token: 'abcdef.0123456789abcdef' });
  // The seeded system:node-bootstrapper role is not bound to bootstrappers by default; bind it as kubeadm does.
  const { RbacAuthorizationV1Api, CertificatesV1Api } = await import('@kubernetes/client-node');
  await assert.rejects(joiner.makeApiClient(CertificatesV1Api).listCertificateSigningRequest(), (e) => code(e) === 403);
  await a.kubeConfig().makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({ body: { metadata: { name: 'kubeadm:kubelet-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }] } });
  await joiner.makeApiClient(CertificatesV1Api).listCertificateSigningRequest();
  await assert.rejects(kcFor(a, { token: 'zzzzzz.0123456789abcdef' }).makeApiClient(CoreV1Api).listNamespace(), (e) => code(e) === 401);
  await assert.rejects(kcFor(a, { token: 'abcdef.0123456789abcdeX' }).makeApiClient(CoreV1Api).listNamespace(), (e) => code(e) === 401);
});

test('two servers on one store: a watch on one sees writes through the other', async () => {
  const seen: string[] = [];
  const w = new Watch(b.kubeConfig());
  const ctl = await w.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: String(shared.currentRV()) }, (type, obj: { metadata: { name: string } }) => seen.push(`${type}:${obj.metadata.name}`), () => undefined);
  try {
    await a.kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'via-a' } } });
    await eventually(async () => seen.includes('ADDED:via-a'), 5000, 'the event on server b');
  } finally {
    ctl.abort();
  }
});
