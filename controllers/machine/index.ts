/**
 * The Machine controller, wired to a Manager:
 *
 *   registerMachineController(mgr, { providers, workloads, renderCloudInit, logger })
 *
 * A Machine is reconciled on its own changes, on changes to its Cluster (infrastructure ready, control
 * plane initialised, paused), and on changes to its Node in the workload cluster (a watch per cluster).
 */
import type { Logger } from 'pino';
import { newControllerManagedBy, type Controller, type Manager } from '../../runtime/index.js';
import { objectsOfCluster } from '../shared/cluster-index.js';
import type { ProviderLookup } from '../shared/deps.js';
import { CLUSTER_GVK, MACHINE_GVK } from '../shared/gvk.js';
import { clusterChangeForMachines } from '../shared/predicates.js';
import type { WorkloadClusters } from '../shared/workload-clusters.js';
import type { CloudInitRenderer } from './bootstrap-data.js';
import { MachineReconciler } from './reconciler.js';

export { MachineReconciler } from './reconciler.js';
export { isMachineReady, MachineConditions } from './ready.js';
export type { BootstrapDataInput, CloudInitRenderer } from './bootstrap-data.js';
export { renderMachineCloudInit } from './cloud-init.js';

export interface MachineControllerDeps {
  providers: ProviderLookup;
  /** Shared with the Cluster controller: one client and one Node watch per workload cluster. */
  workloads: WorkloadClusters;
  renderCloudInit: CloudInitRenderer;
  logger?: Logger;
  /** Bootstrap token TTL for joins (default 15 minutes). */
  joinTokenTTLSeconds?: number;
  /** Poll interval while waiting for something no watch reports (default 2 s). */
  pollIntervalMs?: number;
}

export function registerMachineController(mgr: Manager, deps: MachineControllerDeps): Controller {
  const r = new MachineReconciler({ client: mgr.client, cache: mgr.cache, recorder: mgr.getEventRecorderFor('machine-controller') }, deps);
  const controller = newControllerManagedBy(mgr)
    .named('machine')
    .for(MACHINE_GVK)
    .watches(CLUSTER_GVK, objectsOfCluster(mgr, MACHINE_GVK), clusterChangeForMachines)
    .complete(r);
  deps.workloads.onNodeEvent((_cluster, node) => {
    const pid = node.spec?.providerID;
    const req = pid ? r.byProviderID.get(pid) : undefined;
    if (req) controller.queue.add(req);
  });
  return controller;
}
