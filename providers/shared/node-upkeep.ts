/**
 * What both kubelets (the inmemory provider's simulated one and the local provider's real-process one) do with
 * their Node through the API, as the kubelet's node-status and node-lease controllers do: register the Node, renew
 * its Lease (owned by the Node, so deleting the Node takes the Lease with it), and report healthy conditions.
 */
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import type { RestClient } from '../../client/rest-client.js';
import type { KubeObject } from '../../lib/kube.js';

/** How long a Lease stays valid without renewal (the kubelet's default nodeLeaseDurationSeconds). */
export const LEASE_DURATION_S = 40;
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

export interface NodeRegistration {
  nodeName: string;
  providerID: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
}

/** Creates the Node as the kubelet registers it; a Node created meanwhile (another registration) is read instead. */
export async function createNode(client: RestClient, r: NodeRegistration): Promise<KubeObject> {
  try {
    return await client.create('/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: r.nodeName, labels: r.labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
      spec: { providerID: r.providerID, ...(r.taints.length ? { taints: r.taints } : {}) },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    return client.get(`/api/v1/nodes/${r.nodeName}`);
  }
}

/** Renews the Node's Lease; creates it (owned by the Node when its UID is known) when it is missing. */
export async function renewNodeLease(client: RestClient, nodeName: string, nodeUID: string | undefined): Promise<void> {
  const renewTime = new Date().toISOString().replace('Z', '000Z');
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_S, renewTime };
  try {
    await client.mergePatch(`${LEASES}/${nodeName}`, { spec });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.create(LEASES, {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: {
        name: nodeName, namespace: 'kube-node-lease',
        ...(nodeUID ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUID }] } : {}),
      },
      spec,
    });
  }
}

/** The Node conditions of a healthy kubelet; heartbeats now, transitions at `since`. */
export function healthyNodeConditions(now: string, since = now): Record<string, string>[] {
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: since });
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}
