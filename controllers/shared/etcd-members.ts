/**
 * Removing a control-plane Machine's stacked etcd member through the etcd API, as Cluster API's KubeadmControlPlane
 * does before a control-plane machine goes (RemoveEtcdMemberForMachine): the management side holds the cluster's etcd
 * CA (the <cluster>-etcd Secret), mints a short-lived etcd client certificate from it, and asks a remaining member.
 *
 * The management process must reach the members' client URLs (https://<advertise address>:2379) directly: Cluster
 * API tunnels through the API server's Pod port-forward, which clusterd's kubelets do not serve. The in-memory
 * provider's machines are loopback addresses of the management host, and the local provider's are on a bridge the
 * host is part of, so both are reachable.
 */
import type { Client } from '../../runtime/client.js';
import { EtcdClient } from '../../bootstrap/etcd/client.js';
import { CONTROL_PLANE_NODE_SELECTOR, ETCD_POD_SELECTOR, etcdEndpoints, type NodeLike, type PodLike } from '../../bootstrap/etcd/endpoints.js';
import { PermanentEtcdError, removeMemberByName } from '../../bootstrap/etcd/membership.js';
import { newPrivateKey, signCert, type CertAndKey } from '../../lib/pki.js';
import type { KubeObject } from '../../runtime/types.js';

/** The client certificate lives an hour: it is minted for one removal and never stored. */
const CLIENT_CERT_VALIDITY_DAYS = 1 / 24;
export const ETCD_CLIENT_COMMON_NAME = 'clusterd-etcd-client';

export type EtcdRemoval =
  | { result: 'removed'; id: string }
  | { result: 'absent' }
  /** The node's member is the last voting one: nothing keeps quorum after it, the cluster's etcd goes with it. */
  | { result: 'last-member' };

export interface RemoveOptions {
  /** How long to keep retrying one removal in this reconcile (etcd answering "not now"). */
  timeoutMs?: number;
}

/** A fresh etcd client certificate signed by the cluster's etcd CA (ECDSA P-256: quick to make). */
export function mintEtcdClientCert(etcdCA: CertAndKey): CertAndKey {
  return signCert({ commonName: ETCD_CLIENT_COMMON_NAME, usages: ['client'], validityDays: CLIENT_CERT_VALIDITY_DAYS }, etcdCA, newPrivateKey('ECDSA-P256'));
}

/**
 * Cluster API's ForwardEtcdLeadership: when the member about to go leads, leadership moves first to the member of the
 * newest control-plane Node (the last to be replaced in a rollout), so removing it never leaves etcd without a leader
 * for an election's time. Best effort: a leader that does not answer is not leading for long, and the removal goes on.
 */
async function forwardLeadership(etcd: EtcdClient, nodeName: string, nodes: (NodeLike & KubeObject)[]): Promise<void> {
  try {
    const members = await etcd.memberList();
    const leaving = members.find((m) => m.name === nodeName);
    if (!leaving?.clientURLs.length) return;
    let leader: string | undefined;
    for (const ep of etcd.endpoints) {
      leader = await etcd.status(ep).then((st) => st.leader, () => undefined);
      if (leader && leader !== '0') break;
    }
    if (leader !== leaving.ID) return;
    const born = (name: string): string => nodes.find((n) => n.metadata?.name === name)?.metadata?.creationTimestamp ?? '';
    const target = members.filter((m) => m.ID !== leaving.ID && !m.isLearner && m.name !== '')
      .sort((a, b) => born(b.name).localeCompare(born(a.name)))[0];
    if (target) await etcd.moveLeader(leaving.clientURLs[0]!, target.ID);
  } catch {
    // best effort (see above)
  }
}

/** Removes the etcd member of `nodeName` through the other members; already gone is done. */
export async function removeEtcdMemberOfNode(wc: Client, nodeName: string, etcdCA: CertAndKey, o: RemoveOptions = {}): Promise<EtcdRemoval> {
  const pods = (await wc.list<PodLike & KubeObject>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kube-system', labelSelector: ETCD_POD_SELECTOR })).items;
  const nodes = (await wc.list<NodeLike & KubeObject>({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: CONTROL_PLANE_NODE_SELECTOR })).items;
  const { endpoints, source } = etcdEndpoints(pods, nodes, [nodeName]);
  if (endpoints.length === 0) {
    // no other control plane is known: this is the last member, or none was ever recorded
    return { result: 'last-member' };
  }
  const cert = mintEtcdClientCert(etcdCA);
  const etcd = new EtcdClient(endpoints, { caPem: etcdCA.certPem, certPem: cert.certPem, keyPem: cert.keyPem });
  try {
    await forwardLeadership(etcd, nodeName, nodes);
    const removed = await removeMemberByName(etcd, nodeName, { timeoutMs: o.timeoutMs ?? 5000 });
    return removed ? { result: 'removed', id: removed.ID } : { result: 'absent' };
  } catch (err) {
    if (err instanceof PermanentEtcdError) return { result: 'last-member' };
    throw new Error(`${(err as Error).message} (etcd endpoints from the ${source}: ${endpoints.join(',')})`);
  }
}
