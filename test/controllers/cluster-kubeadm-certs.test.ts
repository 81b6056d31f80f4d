/**
 * kubeadm-certs upkeep against a real API server standing in for the workload cluster: a missing or expiring
 * Secret is uploaded again under the key already handed out (the init machine's own upload-certs may land
 * after the controller's, with that key), and only a Secret under an unknown key gets a fresh one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type RunningApiServer } from '../../apiserver/index.js';
import { Client } from '../../runtime/client.js';
import { decryptCerts, newCertificateKey } from '../../bootstrap/index.js';
import { newSelfSignedCA } from '../../lib/pki.js';
import { ensureKubeadmCerts, uploadCerts, type CertificateKeyStore } from '../../controllers/shared/kubeadm-certs.js';
import type { ClusterPKI } from '../../controllers/shared/pki.js';
import type { KubeObject } from '../../lib/kube.js';

let server: RunningApiServer;
let workload: Client;
let pki: ClusterPKI;

before(async () => {
  server = await startApiServer({ port: 0 });
  workload = new Client(server.kubeConfig());
  const ca = newSelfSignedCA('kubernetes');
  pki = { ca, etcd: newSelfSignedCA('etcd-ca'), proxy: newSelfSignedCA('front-proxy-ca'), sa: { certPem: 'pub', keyPem: ca.keyPem } };
});

after(async () => {
  await server?.close();
});

function memoryKeys(initial?: string): CertificateKeyStore & { writes: number; value?: string } {
  const store = {
    value: initial,
    writes: 0,
    read: async () => store.value,
    write: async (k: string) => {
      store.value = k;
      store.writes++;
    },
  };
  return store;
}

async function certsSecret(): Promise<Record<string, string>> {
  const s = await workload.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret' }, { namespace: 'kube-system', name: 'kubeadm-certs' });
  return s.data ?? {};
}

test('a missing kubeadm-certs is uploaded again under the key already handed out, so a racing init upload agrees', async () => {
  const k1 = newCertificateKey();
  const keys = memoryKeys(k1);
  const res = await ensureKubeadmCerts({ lockKey: 'missing', workload, keys, pki });
  assert.deepEqual(res, { certificateKey: k1, uploaded: true });
  assert.equal(keys.writes, 0, 'the key on record is kept');
  // the init machine's own upload-certs, landing afterwards with the same key, leaves joins able to decrypt
  await uploadCerts(workload, pki, k1, new Date());
  assert.equal(decryptCerts(await certsSecret(), k1)['ca.crt']?.toString(), pki.ca.certPem);
  // and now it is valid: nothing more to do
  assert.deepEqual(await ensureKubeadmCerts({ lockKey: 'missing', workload, keys, pki }), { certificateKey: k1, uploaded: false });
});

test('a kubeadm-certs under a key nobody recorded gets a fresh key, recorded before the upload', async () => {
  const operatorKey = newCertificateKey();
  await uploadCerts(workload, pki, operatorKey, new Date());
  const recorded = newCertificateKey();
  const keys = memoryKeys(recorded);
  const res = await ensureKubeadmCerts({ lockKey: 'wrong', workload, keys, pki });
  assert.equal(res.uploaded, true);
  assert.notEqual(res.certificateKey, recorded);
  assert.notEqual(res.certificateKey, operatorKey);
  assert.equal(keys.value, res.certificateKey);
  const data = await certsSecret();
  assert.equal(decryptCerts(data, res.certificateKey)['etcd-ca.crt']?.toString(), pki.etcd.certPem);
  assert.throws(() => decryptCerts(data, operatorKey), /certificate key does not match/);
});
