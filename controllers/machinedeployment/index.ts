/** The MachineDeployment controller, ready to register with a Manager. */
import { newControllerManagedBy } from '../../runtime/builder.js';
import type { Manager } from '../../runtime/manager.js';
import { objectsOfCluster } from '../shared/cluster-index.js';
import { CLUSTER_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { clusterChangeForMachineDeployments } from '../shared/predicates.js';
import { MachineDeploymentReconciler } from './reconciler.js';
import type { ReconcilerOptions } from '../../runtime/reconcile.js';

export { MachineDeploymentReconciler } from './reconciler.js';

/**
 * Registers the controller: MachineDeployments, the MachineSets they own, and their Clusters (a control-plane
 * version change may release a rollout held by the version-skew guard; un-pausing resumes).
 */
export function registerMachineDeploymentController(mgr: Manager, deps: ReconcilerOptions = {}): MachineDeploymentReconciler {
  const r = new MachineDeploymentReconciler({ client: mgr.client, cache: mgr.cache, recorder: mgr.getEventRecorderFor('machinedeployment-controller') }, deps);
  newControllerManagedBy(mgr)
    .named('machinedeployment')
    .for(MACHINEDEPLOYMENT_GVK)
    .owns(MACHINESET_GVK)
    .watches(CLUSTER_GVK, objectsOfCluster(mgr, MACHINEDEPLOYMENT_GVK), clusterChangeForMachineDeployments)
    .complete(r);
  return r;
}
