/**
 * Where the stacked etcd members answer, read from the workload cluster as kubeadm's getEtcdEndpoints does: the
 * kubeadm.kubernetes.io/etcd.advertise-client-urls annotation of the etcd mirror Pods (component=etcd,
 * tier=control-plane in kube-system), which the kubelets post from the static Pod manifests. Where no mirror Pod
 * carries it (a kubelet that posts no mirror Pods, such as the in-memory provider's), the control-plane Nodes'
 * InternalIP addresses stand in: kubeadm's stacked etcd always advertises https://<advertiseAddress>:2379
 * (GetClientURL), and a control-plane Node's InternalIP is its advertise address.
 */
import * as C from '../constants.js';
import { joinHostPort } from '../netutil.js';

export const ETCD_POD_SELECTOR = 'component=etcd,tier=control-plane';
export const CONTROL_PLANE_NODE_SELECTOR = 'node-role.kubernetes.io/control-plane';

export interface PodLike {
  metadata?: { name?: string; annotations?: Record<string, string> };
  spec?: { nodeName?: string };
}

export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface EtcdEndpoints {
  endpoints: string[];
  /** Where they came from, for the user: the mirror Pods' annotation or the control-plane Nodes' addresses. */
  source: 'etcd Pods' | 'control-plane Nodes';
}

const podNode = (p: PodLike): string | undefined => p.spec?.nodeName ?? (p.metadata?.name?.startsWith('etcd-') ? p.metadata.name.slice(5) : undefined);

/** The client URLs of the members, leaving out those of the nodes in `exclude` (the member about to be removed). */
export function etcdEndpoints(pods: PodLike[], nodes: NodeLike[], exclude: string[] = []): EtcdEndpoints {
  const fromPods = pods
    .filter((p) => !exclude.includes(podNode(p) ?? ''))
    .flatMap((p) => (p.metadata?.annotations?.[C.ANNOTATION_ETCD_CLIENT_URLS] ?? '').split(',').map((u) => u.trim()).filter(Boolean));
  if (fromPods.length > 0) return { endpoints: [...new Set(fromPods)], source: 'etcd Pods' };
  const fromNodes = nodes
    .filter((n) => n.metadata?.labels?.[CONTROL_PLANE_NODE_SELECTOR] !== undefined && !exclude.includes(n.metadata?.name ?? ''))
    .map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address)
    .filter((a): a is string => !!a)
    .map((a) => `https://${joinHostPort(a, C.ETCD_CLIENT_PORT)}`);
  return { endpoints: [...new Set(fromNodes)], source: 'control-plane Nodes' };
}
