/**
 * The `spec.clusterName` index, registered in one place for every kind that has the field, and the map from a
 * Cluster to the objects of a kind that belong to it (a watch on Clusters uses it instead of scanning the store).
 */
import type { Store, IndexFunc } from '../../runtime/cache/store.js';
import type { MapFunc } from '../../runtime/controller.js';
import type { GroupVersionKind, KubeObject, Request } from '../../runtime/types.js';

/** The part of a Manager this needs: its cache's informers (runtime/cache/informer.ts). */
export interface InformerSource {
  cache: { getInformer(gvk: GroupVersionKind): { store: Store; addIndexer(name: string, fn: IndexFunc): void } };
}

export const CLUSTER_NAME_INDEX = 'spec.clusterName';

const clusterKey = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

/** Indexes gvk's informer by namespace/spec.clusterName (once), and maps a Cluster to its objects of that kind. */
export function objectsOfCluster(mgr: InformerSource, gvk: GroupVersionKind): MapFunc {
  const informer = mgr.cache.getInformer(gvk);
  if (!informer.store.hasIndex(CLUSTER_NAME_INDEX)) {
    informer.addIndexer(CLUSTER_NAME_INDEX, (o) => [clusterKey(o.metadata.namespace, (o.spec as { clusterName?: string } | undefined)?.clusterName)]);
  }
  return (cluster: KubeObject): Request[] =>
    informer.store.byIndex(CLUSTER_NAME_INDEX, clusterKey(cluster.metadata.namespace, cluster.metadata.name))
      .map((o) => ({ namespace: o.metadata.namespace ?? '', name: o.metadata.name ?? '' }));
}
