// The management side's etcd member removal (controllers/shared/etcd-members.ts) against the embedded API server as
// the workload cluster and the in-memory provider's simulated etcd serving its JSON API over mutual TLS on
// 127.37.1.1:2379 (a range no other test uses): the member found through the control-plane Nodes' addresses, removed
// with a minted short-lived client certificate; already gone is done; the last member is left alone; an unreachable
// etcd is an error that names the endpoints and never the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer } from '../../apiserver/index.js';
import { Client } from '../../runtime/client.js';
import { ETCD_CLIENT_COMMON_NAME, mintEtcdClientCert, removeEtcdMemberOfNode } from '../../controllers/shared/etcd-members.js';
import { newPrivateKey, newSelfSignedCA, signCert } from '../../lib/pki.js';
import { SimEtcd } from '../../providers/inmemory/etcd.js';

const A = '127.37.1.1';
const B = '127.37.1.2';

test('a deleted control plane\'s etcd member is removed through a remaining member with a minted client certificate', { timeout: 60_000 }, async (t) => {
  const server = await startApiServer({ port: 0, bindAddress: '127.0.0.1' });
  t.after(() => server.close());
  const kc = new KubeConfig();
  kc.loadFromString(server.adminKubeconfig());
  const wc = new Client(kc, { timeoutMs: 10_000 });
  const etcdCA = newSelfSignedCA('etcd-ca', { keyPem: newPrivateKey('ECDSA-P256') });

  // the minted certificate: a client certificate of the etcd CA that lives an hour
  const cert = new X509Certificate(mintEtcdClientCert(etcdCA).certPem);
  assert.ok(cert.verify(new X509Certificate(etcdCA.certPem).publicKey));
  assert.match(cert.subject, new RegExp(`CN=${ETCD_CLIENT_COMMON_NAME}`));
  assert.ok(Date.parse(cert.validTo) - Date.now() <= 3600_000, cert.validTo);
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'client authentication only');

  for (const [name, address] of [['cp-0', A], ['cp-1', B]] as const) {
    await wc.create({
      apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': '' } },
      status: { addresses: [{ type: 'InternalIP', address }] },
    } as never);
  }
  // nothing answers yet: an error naming the endpoints asked, without the key
  const down = await removeEtcdMemberOfNode(wc, 'cp-1', etcdCA, { timeoutMs: 1000 }).then(() => undefined, (err: Error) => err.message);
  assert.match(down ?? '', new RegExp(`etcd: could not remove the member cp-1 within 1s: .*\\(etcd endpoints from the control-plane Nodes: https://${A.replaceAll('.', '\\.')}:2379\\)`));
  assert.ok(down && !down.includes('PRIVATE KEY') && !down.includes(etcdCA.keyPem.split('\n')[1]!));

  const sim = new SimEtcd(undefined, 0);
  t.after(() => sim.close());
  const id0 = sim.start({ name: 'cp-0', peerURL: `https://${A}:2380`, clientURLs: [`https://${A}:2379`], initialCluster: `cp-0=https://${A}:2380,cp-1=https://${B}:2380`, state: 'new' });
  sim.start({ name: 'cp-1', peerURL: `https://${B}:2380`, clientURLs: [`https://${B}:2379`], initialCluster: '', state: 'existing' });
  const serving = signCert({ commonName: 'cp-0', altNames: [A], usages: ['server', 'client'] }, etcdCA, newPrivateKey('ECDSA-P256'));
  await sim.serve(id0, { host: A, port: 2379, certPem: serving.certPem, keyPem: serving.keyPem, clientCAPem: etcdCA.certPem });

  // the wrong etcd CA (not the one the members trust): nothing is removed
  const other = newSelfSignedCA('other', { keyPem: newPrivateKey('ECDSA-P256') });
  await assert.rejects(removeEtcdMemberOfNode(wc, 'cp-1', { ...other }, { timeoutMs: 1000 }), /could not remove the member cp-1/);
  assert.equal(sim.list().length, 2);

  const removed = await removeEtcdMemberOfNode(wc, 'cp-1', etcdCA);
  assert.equal(removed.result, 'removed');
  assert.deepEqual(sim.list().map((m) => m.name), ['cp-0']);
  assert.deepEqual(await removeEtcdMemberOfNode(wc, 'cp-1', etcdCA), { result: 'absent' });
  // a learner whose machine never registered a Node (its join failed): found by the machine's peer URL
  sim.rpc(id0, '/v3/cluster/member/add', { peerURLs: ['https://127.37.1.3:2380'], isLearner: true });
  const orphan = await removeEtcdMemberOfNode(wc, '', etcdCA, { peerURL: 'https://127.37.1.3:2380' });
  assert.equal(orphan.result, 'removed');
  assert.equal(sim.list().length, 1);
  // then the controller deletes its Node
  await wc.delete({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'cp-1' } });
  // cp-0 is the last voting member, and no other control plane is there to ask: left alone
  assert.deepEqual(await removeEtcdMemberOfNode(wc, 'cp-0', etcdCA), { result: 'last-member' });
  assert.deepEqual(sim.list().map((m) => m.name), ['cp-0']);
});
