/**
 * The owner reference every object a Cluster creates carries. The generic helpers (getControllerOf,
 * ownerReference, isControlledBy, withOwnerReference) are the runtime's (runtime/meta.ts).
 */
import type { OwnerReference } from '../../runtime/types.js';
import { ownerReference } from '../../runtime/meta.js';
import { CLUSTER_GVK } from './gvk.js';

/** The Cluster as the controller of what it owns; apiVersion and kind default to the Cluster kind's. */
export function clusterOwnerRef(cluster: { apiVersion?: string; kind?: string; metadata: { name?: string; uid?: string } }): OwnerReference {
  return ownerReference({ apiVersion: cluster.apiVersion ?? CLUSTER_GVK.apiVersion, kind: cluster.kind ?? CLUSTER_GVK.kind, metadata: cluster.metadata }, true);
}
