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
const MACHINE = { apiVersion: 'clusterd.dev/v1alpha1', kind: 'Machine' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };
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

describe('Cluster controller: orphaned provider machines', () => {
  let env: ControllerEnv;
  before(async () => {
    env = await startControllerEnv({ orphanSweepIntervalMs: 300 });
  });
  after(async () => {
    await env.close();
  });

  it('deletes a provider machine whose Machine does not exist, and keeps one whose Machine does', async () => {
    const c = env.client;
    await c.create({ ...CLUSTER, metadata: { name: 'gamma', namespace: 'default' }, spec: { infrastructure: { provider: 'inmemory', config: {} } } });
    const cl = await eventually('cluster Provisioned', async () => {
      const x = await c.get<Cluster & KubeObject>(CLUSTER, { namespace: 'default', name: 'gamma' });
      return x.status?.infrastructureReady === true ? x : undefined;
    });
    // A Machine that exists (no Machine controller runs here, so nothing else touches its provider machine) ...
    const kept = await c.create<KubeObject>({ ...MACHINE, metadata: { name: 'kept', namespace: 'default' }, spec: { clusterName: 'gamma', version: 'v1.37.2' } });
    const provider = await env.providers.get('inmemory');
    for (const m of [{ name: 'kept', uid: kept.metadata.uid }, { name: 'ghost', uid: 'uid-of-a-machine-long-gone' }]) {
      const res = await provider.createOrGetMachine({ cluster: cl, machine: { ...MACHINE, metadata: { ...m, namespace: 'default' }, spec: { clusterName: 'gamma', version: 'v1.37.2' } }, userData: '#cloud-config\n{}\n' });
      assert.notEqual(res.status, 'failed');
    }
    // ... and one whose Machine never existed: only that one goes, with a Warning Event naming it.
    await eventually('the orphan deleted', async () => {
      const names = (await provider.listMachines!({ cluster: cl })).map((m) => m.machineName);
      return names.length === 1 && names[0] === 'kept';
    });
    const events = (await c.list<KubeObject & { reason?: string; type?: string; message?: string }>(EVENT, { namespace: 'default', fieldSelector: 'involvedObject.name=gamma' })).items;
    const orphan = events.find((e) => e.reason === 'OrphanMachineDeleted');
    assert.equal(orphan?.type, 'Warning');
    assert.match(orphan?.message ?? '', /default\/ghost no longer exists/);
    // Swept again and again: the machine whose Machine exists stays.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await provider.listMachines!({ cluster: cl })).map((m) => m.machineName), ['kept']);

    await c.delete({ ...MACHINE, metadata: { name: 'kept', namespace: 'default' } });
    await c.delete({ ...CLUSTER, metadata: { name: 'gamma', namespace: 'default' } });
    await eventually('gamma gone', async () => c.get(CLUSTER, { namespace: 'default', name: 'gamma' }).then(() => false, (e: unknown) => isNotFound(e)));
  });
});
