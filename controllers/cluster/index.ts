/**
 * The Cluster controller, wired to a Manager:
 *
 *   registerClusterController(mgr, { providers, workloads, logger })
 *
 * It reconciles a Cluster on its own changes, and on a Machine labelled with its name appearing, going, or (for a
 * control-plane Machine) changing what the control plane is made of (shared/predicates.ts).
 */
import type { Logger } from 'pino';
import { Labels } from '../../api/v1alpha1/index.js';
import { enqueueByLabel, newControllerManagedBy, type Controller, type Manager } from '../../runtime/index.js';
import type { ProviderLookup } from '../shared/deps.js';
import { CLUSTER_GVK, MACHINE_GVK } from '../shared/gvk.js';
import { machineChangeForCluster } from '../shared/predicates.js';
import type { WorkloadClusters } from '../shared/workload-clusters.js';
import { ClusterReconciler } from './reconciler.js';

export { ClusterReconciler } from './reconciler.js';

export interface ClusterControllerDeps {
  providers: ProviderLookup;
  /** Shared with the Machine controller: one client per workload cluster (shared/workload-clusters.ts). */
  workloads: WorkloadClusters;
  logger?: Logger;
  /** Poll interval while waiting for something no watch reports (workload API answering; default 2 s). */
  pollIntervalMs?: number;
  /** How often a Cluster's provider machines are checked for orphans (default 60 s; orphans.ts). */
  orphanSweepIntervalMs?: number;
}

export function registerClusterController(mgr: Manager, deps: ClusterControllerDeps): Controller {
  const r = new ClusterReconciler({ client: mgr.client, cache: mgr.cache, recorder: mgr.getEventRecorderFor('cluster-controller') }, deps);
  return newControllerManagedBy(mgr)
    .named('cluster')
    .for(CLUSTER_GVK)
    .watches(MACHINE_GVK, enqueueByLabel(Labels.clusterName), machineChangeForCluster)
    .complete(r);
}
