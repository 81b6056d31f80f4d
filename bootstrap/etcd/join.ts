/**
 * kubeadm join phase etcd-join (phases/etcd CreateStackedEtcdStaticPodManifestFile): find the members'
 * client URLs in the cluster, add this node as a learner (or find it already added), write the etcd static Pod with
 * --initial-cluster and --initial-cluster-state=existing, wait for the kubelet to start it, and promote it once it is
 * in sync with the leader. The etcd client authenticates with etcd/healthcheck-client, the certificate kubeadm's
 * NewFromCluster uses (signed by the shared etcd CA that download-certs brought).
 */
import { isNotFound } from '../api/client.js';
import type { ClusterClient } from '../api/client.js';
import type { HostFS, Printer } from '../context.js';
import type { EtcdMember as ManifestMember } from '../manifests.js';
import { EtcdClient, type EtcdTLS } from './client.js';
import { CONTROL_PLANE_NODE_SELECTOR, ETCD_POD_SELECTOR, etcdEndpoints, type EtcdEndpoints } from './endpoints.js';
import { addLearner, hexID, initialCluster, promoteLearner, type RetryOptions } from './membership.js';

export interface JoinEtcdInput {
  fs: HostFS;
  out: Printer;
  /** The workload cluster, as the joining node's admin.conf. */
  client: ClusterClient;
  certificatesDir: string;
  self: { name: string; peerURL: string };
  timeouts: { kubernetesAPICall: number; etcdAPICall: number };
  /** Writes this node's etcd manifest for the given --initial-cluster. */
  writeManifest(members: ManifestMember[]): void;
}

/** The etcd CA and kubeadm's etcd health-check client certificate, from the node's certificate folder. */
export function etcdClientTLS(fs: HostFS, certificatesDir: string): EtcdTLS {
  const read = (f: string): string => {
    const text = fs.readIfExists(`${certificatesDir}/${f}`);
    if (text === undefined) throw new Error(`etcd: ${certificatesDir}/${f} is missing; the certs phase writes it (the etcd CA comes with --certificate-key)`);
    return text;
  };
  return { caPem: read('etcd/ca.crt'), certPem: read('etcd/healthcheck-client.crt'), keyPem: read('etcd/healthcheck-client.key') };
}

/** The members' client URLs, retried while the mirror Pods (or Nodes) are not there yet, as kubeadm's getEtcdEndpoints. */
async function findEndpoints(client: ClusterClient, self: string, timeoutMs: number): Promise<EtcdEndpoints> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no etcd Pod carries the advertise-client-urls annotation and no control-plane Node has an InternalIP';
  for (;;) {
    try {
      const pods = (await client.core.listNamespacedPod({ namespace: 'kube-system', labelSelector: ETCD_POD_SELECTOR })).items;
      const nodes = (await client.core.listNode({ labelSelector: CONTROL_PLANE_NODE_SELECTOR })).items;
      const found = etcdEndpoints(pods, nodes, [self]);
      if (found.endpoints.length > 0) return found;
    } catch (err) {
      if (!isNotFound(err)) last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`etcd: could not retrieve the list of etcd endpoints within ${Math.round(timeoutMs / 1000)}s: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function joinStackedEtcd(i: JoinEtcdInput): Promise<void> {
  const tls = etcdClientTLS(i.fs, i.certificatesDir);
  const found = await findEndpoints(i.client, i.self.name, i.timeouts.kubernetesAPICall);
  i.out.phase('etcd', `etcd endpoints read from the ${found.source}: ${found.endpoints.join(',')}`);
  const etcd = new EtcdClient(found.endpoints, tls);
  const o: RetryOptions = { timeoutMs: i.timeouts.etcdAPICall, progress: (m) => i.out.phase('etcd', m) };
  const { member, members, added } = await addLearner(etcd, i.self.peerURL, o);
  const others = members.filter((m) => m.ID !== member.ID).map((m) => m.name || hexID(m.ID));
  i.out.phase('etcd', added
    ? `Added etcd member ${hexID(member.ID)} as learner: ${i.self.peerURL} (existing members: ${others.join(', ')})`
    : `The etcd member ${hexID(member.ID)} for ${i.self.peerURL} already exists (${member.isLearner ? 'a learner' : 'a voting member'}); reusing it`);
  i.out.phase('etcd', 'Announced new etcd member joining to the existing etcd cluster');
  i.out.phase('etcd', 'Creating static Pod manifest for "etcd"');
  i.writeManifest(initialCluster(members, i.self));
  i.out.phase('etcd', `Waiting for the new etcd member to start and catch up with the leader. This can take up to ${Math.round(i.timeouts.etcdAPICall / 1000)}s`);
  await promoteLearner(etcd, member.ID, o);
  i.out.phase('etcd', `The learner ${i.self.name} (${hexID(member.ID)}) was promoted as a voting member`);
}
