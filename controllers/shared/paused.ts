/** The paused check every controller makes first: a paused Cluster stops the reconciliation of all its objects. */
import type { Cluster } from '../../api/v1alpha1/index.js';
import type { Reader } from '../../runtime/cache/cache.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import { CLUSTER_GVK } from './gvk.js';

/** The Cluster an object belongs to (spec.clusterName, same namespace), from the cache; undefined when it does not exist. */
export function clusterOf(cache: Reader, obj: { metadata: { namespace?: string }; spec: { clusterName: string } }): Promise<Cluster | undefined> {
  return ignoreNotFound(cache.get<Cluster>(CLUSTER_GVK, { namespace: obj.metadata.namespace, name: obj.spec.clusterName }));
}

export const isPaused = (cluster: Cluster | undefined): boolean => cluster?.spec.paused === true;
