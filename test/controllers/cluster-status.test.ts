import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { computeClusterStatus, type ClusterObservation } from '../../controllers/cluster/status.js';
import { adminKubeconfig, adminKubeconfigCurrent } from '../../controllers/cluster/kubeconfig.js';
import { generatePkiMember, pkiSecret, readPkiSecret } from '../../controllers/shared/pki.js';
import { clusterOwnerRef } from '../../controllers/shared/owner.js';
import { isControlledBy, withOwnerReference as adoptedOwnerRefs } from '../../runtime/meta.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import { keyMatchesCert, verifyIssuedBy } from '../../lib/pki.js';

const obs = (over: Partial<ClusterObservation> = {}): ClusterObservation => ({
  generation: 2, deleting: false,
  infrastructure: { ready: true, endpointSet: true },
  certificates: { available: true },
  initialized: true, desiredReplicas: 3,
  counts: { replicas: 3, readyReplicas: 3, updatedReplicas: 3 }, version: 'v1.37.2',
  ...over,
});

describe('computeClusterStatus', () => {
  it('reports Provisioned, 3/3 and Ready when everything is up', () => {
    const s = computeClusterStatus(undefined, obs());
    assert.equal(s.phase, 'Provisioned');
    assert.equal(s.controlPlane?.summary, '3/3');
    assert.equal(s.controlPlaneReady, true);
    assert.equal(s.observedGeneration, 2);
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  it('says why it is not ready', () => {
    const s = computeClusterStatus(undefined, obs({ initialized: false, counts: { replicas: 1, readyReplicas: 0, updatedReplicas: 1 } }));
    assert.equal(s.controlPlane?.summary, '0/3');
    const ready = s.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'False');
    assert.match(ready?.message ?? '', /ControlPlaneInitialized/);
  });

  it('goes Failed with the provider reason, and Deleting when deleted', () => {
    const f = computeClusterStatus(undefined, obs({ infrastructure: { ready: false, endpointSet: false, failure: { reason: 'InvalidConfiguration', message: 'spec.infrastructure.config.x: Forbidden' } } }));
    assert.equal(f.phase, 'Failed');
    assert.equal(f.failureReason, 'InvalidConfiguration');
    assert.equal(computeClusterStatus(f, obs({ deleting: true })).phase, 'Deleting');
    assert.equal(computeClusterStatus(f, obs()).failureReason, undefined);
  });

  it('keeps lastTransitionTime while a condition does not change', () => {
    const a = computeClusterStatus(undefined, obs(), new Date('2024-01-01T00:00:00Z'));
    const b = computeClusterStatus(a, obs(), new Date('2024-01-02T00:00:00Z'));
    assert.equal(b.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, '2024-01-01T00:00:00Z');
  });
});

describe('cluster PKI and admin kubeconfig', () => {
  it('issues an admin kubeconfig signed by the cluster CA with system:masters', async () => {
    const ca = await generatePkiMember('ca');
    const owner = clusterOwnerRef({ metadata: { name: 'demo', uid: 'u1' } });
    const secret = pkiSecret('ca', 'demo', 'default', ca, owner);
    assert.equal(secret.metadata.name, 'demo-ca');
    const back = readPkiSecret(secret);
    assert.equal(back.certPem, ca.certPem);
    assert.ok(isControlledBy(secret, 'u1'));
    const text = adminKubeconfig('demo', { host: '127.0.0.1', port: 6443 }, back);
    const kc = parseKubeconfig(text);
    assert.equal(kc.server, 'https://127.0.0.1:6443');
    assert.ok(verifyIssuedBy(kc.clientCertPem!, ca.certPem));
    assert.ok(keyMatchesCert(kc.clientKeyPem!, kc.clientCertPem!));
    assert.match(new X509Certificate(kc.clientCertPem!).subject, /O=system:masters/);
    assert.ok(adminKubeconfigCurrent(kc, { host: '127.0.0.1', port: 6443 }, ca.certPem));
    assert.ok(!adminKubeconfigCurrent(kc, { host: '127.0.0.1', port: 7443 }, ca.certPem));
  });

  it('generates a service-account key pair whose public half matches', async () => {
    const sa = await generatePkiMember('sa');
    assert.match(sa.certPem, /BEGIN PUBLIC KEY/);
    assert.match(sa.keyPem, /BEGIN RSA PRIVATE KEY/);
  });

  it('adopts a Secret as a non-controller owner, once', () => {
    const owner = clusterOwnerRef({ metadata: { name: 'demo', uid: 'u1' } });
    const s = { metadata: { name: 'demo-ca', ownerReferences: [] } };
    const refs = adoptedOwnerRefs(s, owner)!;
    assert.equal(refs.length, 1);
    assert.equal(refs[0]!.controller, undefined);
    assert.equal(adoptedOwnerRefs({ metadata: { ownerReferences: refs } }, owner), undefined);
    assert.ok(!isControlledBy({ metadata: { ownerReferences: refs } }, 'u1'));
  });

  it('rejects a CA Secret without a certificate, naming the Secret', () => {
    assert.throws(() => readPkiSecret({ metadata: { name: 'demo-ca' }, data: {} }), /demo-ca.*tls\.crt/);
  });
});
