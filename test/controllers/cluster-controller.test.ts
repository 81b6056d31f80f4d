import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from '../../api/v1alpha1/index.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { newSelfSignedCA, verifyIssuedBy } from '../../lib/pki.js';
import { isNotFound } from '../../runtime/errors.js';
import type { KubeObject } from '../../runtime/types.js';
import { eventually, startControllerEnv, type ControllerEnv } from './cluster-env.js';

const CLUSTER = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Cluster' };
const SECRET = { apiVersion: 'v1', kind: 'Secret' };
type Secret = KubeObject & { data?: Record<string, string> };
const text = (s: Secret, k: string): string => Buffer.from(s.data?.[k] ?? '', 'base64').toString('utf8');

describe('Cluster controller against a real API server', () => {
  let env: ControllerEnv;
  before(async () => {
    env = await startControllerEnv();
  });
  after(async () => {
    await env.close();
  });

  it('provisions infrastructure, PKI and the admin kubeconfig; adopts a user CA; deletes in order', async () => {
    const c = env.client;
    // A user-provided CA, created before the Cluster: adopted, never overwritten.
    const userCA = newSelfSignedCA('kubernetes');
    await c.create({ ...SECRET, metadata: { name: 'alpha-ca', namespace: 'default' }, type: 'Opaque', data: { 'tls.crt': Buffer.from(userCA.certPem).toString('base64'), 'tls.key': Buffer.from(userCA.keyPem).toString('base64') } });
    await c.create({ ...CLUSTER, metadata: { name: 'alpha', namespace: 'default' }, spec: { infrastructure: { provider: 'inmemory', config: {} } } });

    const cl = await eventually('cluster Provisioned', async () => {
      const x = await c.get<Cluster & KubeObject>(CLUSTER, { namespace: 'default', name: 'alpha' });
      return x.status?.phase === 'Provisioned' && x.status.conditions?.some((k) => k.type === 'CertificatesAvailable' && k.status === 'True') ? x : undefined;
    });
    assert.ok(cl.metadata.finalizers?.includes('cluster.clusterd.dev'));
    assert.ok(cl.spec.controlPlaneEndpoint?.host, 'endpoint recorded in spec');
    assert.equal(cl.status?.infrastructureReady, true);
    assert.equal(cl.status?.observedGeneration, cl.metadata.generation);

    const ca = await c.get<Secret>(SECRET, { namespace: 'default', name: 'alpha-ca' });
    assert.equal(text(ca, 'tls.crt'), userCA.certPem, 'user CA untouched');
    assert.ok(ca.metadata.ownerReferences?.some((r) => r.kind === 'Cluster' && r.controller !== true), 'adopted as non-controller owner');
    for (const n of ['alpha-etcd', 'alpha-proxy', 'alpha-sa', 'alpha-certificate-key']) {
      const s = await c.get<Secret>(SECRET, { namespace: 'default', name: n });
      assert.ok(s.metadata.ownerReferences?.some((r) => r.kind === 'Cluster' && r.controller === true), `${n} owned by the Cluster`);
    }
    assert.match(text(await c.get<Secret>(SECRET, { namespace: 'default', name: 'alpha-certificate-key' }), 'value'), /^[0-9a-f]{64}$/);
    const kcs = await eventually('kubeconfig', () => c.get<Secret>(SECRET, { namespace: 'default', name: 'alpha-kubeconfig' }));
    const kc = parseKubeconfig(text(kcs, 'value'));
    assert.equal(kc.server, `https://${cl.spec.controlPlaneEndpoint!.host}:${cl.spec.controlPlaneEndpoint!.port}`);
    assert.ok(verifyIssuedBy(kc.clientCertPem!, userCA.certPem), 'admin cert signed by the (user) cluster CA');

    await c.delete({ ...CLUSTER, metadata: { name: 'alpha', namespace: 'default' } });
    await eventually('cluster gone', async () => {
      try {
        await c.get(CLUSTER, { namespace: 'default', name: 'alpha' });
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    // Adopted means owned: the garbage collector removes the adopted CA with the Cluster, as in Cluster API.
    for (const n of ['alpha-ca', 'alpha-etcd', 'alpha-proxy', 'alpha-sa', 'alpha-kubeconfig', 'alpha-certificate-key']) {
      await eventually(`${n} gone`, () => c.get(SECRET, { namespace: 'default', name: n }).then(() => false, (e: unknown) => isNotFound(e)));
    }
  });

  it('reports a bad provider as a Failed phase with a reason naming the field', async () => {
    const c = env.client;
    await c.create({ ...CLUSTER, metadata: { name: 'beta', namespace: 'default' }, spec: { infrastructure: { provider: 'nosuch' } } });
    const cl = await eventually('cluster Failed', async () => {
      const x = await c.get<Cluster & KubeObject>(CLUSTER, { namespace: 'default', name: 'beta' });
      return x.status?.phase === 'Failed' ? x : undefined;
    });
    assert.equal(cl.status?.failureReason, 'UnknownProvider');
    assert.match(cl.status?.failureMessage ?? '', /spec\.infrastructure\.provider/);
    await c.delete({ ...CLUSTER, metadata: { name: 'beta', namespace: 'default' } });
    await eventually('beta gone', async () => c.get(CLUSTER, { namespace: 'default', name: 'beta' }).then(() => false, (e: unknown) => isNotFound(e)));
  });
});
