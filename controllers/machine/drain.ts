/**
 * What happens in the workload cluster when a Machine goes: cordon, drain (evict what the API lets us,
 * skip mirror and DaemonSet Pods, as kubectl drain does), remove the etcd member of a control-plane
 * node, and delete the Node.
 */
import type { Client } from '../../runtime/client.js';
import { ApiError, isNotFound } from '../../runtime/errors.js';
import type { KubeObject } from '../../runtime/types.js';
import type { CertAndKey } from '../../lib/pki.js';
import { removeEtcdMemberOfNode, type EtcdRemoval } from '../shared/etcd-members.js';

const NODE = { apiVersion: 'v1', kind: 'Node' };
const POD = { apiVersion: 'v1', kind: 'Pod' };

interface PodLike extends KubeObject {
  status?: { phase?: string };
}

export async function cordon(wc: Client, nodeName: string): Promise<void> {
  try {
    await wc.patch({ ...NODE, metadata: { name: nodeName } }, { spec: { unschedulable: true } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Pods kubectl drain would leave alone: mirror Pods (static) and DaemonSet Pods, and finished ones. */
export function skipOnDrain(p: PodLike): boolean {
  if (p.metadata.annotations?.['kubernetes.io/config.mirror']) return true;
  if ((p.metadata.ownerReferences ?? []).some((r) => r.kind === 'DaemonSet')) return true;
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/**
 * One pass of draining: evicts (or, where the server has no eviction subresource, deletes) each Pod on the
 * node. Returns the number of Pods still there.
 */
export async function drainPass(wc: Client, nodeName: string): Promise<number> {
  const pods = (await wc.list<PodLike>(POD, { fieldSelector: `spec.nodeName=${nodeName}` })).items
    .filter((p) => !skipOnDrain(p));
  let remaining = 0;
  for (const p of pods) {
    remaining++;
    if (p.metadata.deletionTimestamp) continue;
    const ns = p.metadata.namespace ?? 'default';
    const name = p.metadata.name!;
    try {
      await wc.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/eviction`,
        { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } }, 'application/json', `evict pod ${ns}/${name}`);
    } catch (err) {
      if (isNotFound(err)) {
        // No eviction subresource here (or the Pod is gone): delete it.
        try {
          await wc.delete({ ...POD, metadata: { name, namespace: ns } });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      } else if (err instanceof ApiError && err.code === 429) {
        // A PodDisruptionBudget says not now: try again on the next pass.
      } else throw err;
    }
  }
  return remaining;
}

/** Removes the node's stacked etcd member (by name, or by the machine's peer URL) through the etcd API (controllers/shared/etcd-members.ts). */
export function removeEtcdMember(wc: Client, nodeName: string, etcdCA: CertAndKey, peerURL?: string, timeoutMs?: number): Promise<EtcdRemoval> {
  return removeEtcdMemberOfNode(wc, nodeName, etcdCA, { ...(peerURL ? { peerURL } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
}

export async function deleteNode(wc: Client, nodeName: string): Promise<void> {
  try {
    await wc.delete({ ...NODE, metadata: { name: nodeName } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
