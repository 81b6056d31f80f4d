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
import { PermanentEtcdError, removeMember } from '../../bootstrap/etcd/membership.js';
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
  /** The machine's peer URL: also matches a member that was added but never started (it has no name yet). */
  peerURL?: string;
}

/** A fresh etcd client certificate signed by the cluster's etcd CA (ECDSA P-256: quick to make). */
export function mintEtcdClientCert(etcdCA: CertAndKey): CertAndKey {
  return signCert({ commonName: ETCD_CLIENT_COMMON_NAME, usages: ['client'], validityDays: CLIENT_CERT_VALIDITY_DAYS }, etcdCA, newPrivateKey('ECDSA-P256'));
}

/**
 * Removes the etcd member of `nodeName` (or, with o.peerURL, the member at that peer URL) through the other members;
 * already gone is done. nodeName may be empty for a machine whose Node never registered.
 */
export async function removeEtcdMemberOfNode(wc: Client, nodeName: string, etcdCA: CertAndKey, o: RemoveOptions = {}): Promise<EtcdRemoval> {
  const pods = (await wc.list<PodLike & KubeObject>({ apiVersion: 'v1', kind: 'Pod' }, { namespace: 'kube-system', labelSelector: ETCD_POD_SELECTOR })).items;
  const nodes = (await wc.list<NodeLike & KubeObject>({ apiVersion: 'v1', kind: 'Node' }, { labelSelector: CONTROL_PLANE_NODE_SELECTOR })).items;
  const { endpoints, source } = etcdEndpoints(pods, nodes, nodeName ? [nodeName] : []);
  if (endpoints.length === 0) {
    // no other control plane is known: this is the last member, or none was ever recorded
    return { result: 'last-member' };
  }
  const cert = mintEtcdClientCert(etcdCA);
  const etcd = new EtcdClient(endpoints, { caPem: etcdCA.certPem, certPem: cert.certPem, keyPem: cert.keyPem });
  try {
    const removed = await removeMember(etcd, { ...(nodeName ? { name: nodeName } : {}), ...(o.peerURL ? { peerURL: o.peerURL } : {}) }, { timeoutMs: o.timeoutMs ?? 5000 });
    return removed ? { result: 'removed', id: removed.ID } : { result: 'absent' };
  } catch (err) {
    if (err instanceof PermanentEtcdError) return { result: 'last-member' };
    throw new Error(`${(err as Error).message} (etcd endpoints from the ${source}: ${endpoints.join(',')})`);
  }
}
