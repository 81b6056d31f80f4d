/** The MachineDeployment controller, ready to register with a Manager. */
import { newControllerManagedBy } from '../../runtime/builder.js';
import type { Manager } from '../../runtime/manager.js';
import type { KubeObject, Request } from '../../runtime/types.js';
import { CLUSTER_GVK, MACHINEDEPLOYMENT_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { MachineDeploymentReconciler, type MachineDeploymentReconcilerOptions } from './reconciler.js';

export { MachineDeploymentReconciler, type MachineDeploymentReconcilerOptions } from './reconciler.js';

const CLUSTER_NAME_INDEX = 'spec.clusterName';

/**
 * Registers the controller: MachineDeployments, the MachineSets they own, and their Clusters (a control-plane
 * version change may release a rollout held by the version-skew guard; un-pausing resumes).
 */
export function registerMachineDeploymentController(mgr: Manager, deps: MachineDeploymentReconcilerOptions = {}): MachineDeploymentReconciler {
  const r = new MachineDeploymentReconciler({ client: mgr.client, cache: mgr.cache, recorder: mgr.getEventRecorderFor('machinedeployment-controller') }, deps);
  const mdInformer = mgr.cache.getInformer(MACHINEDEPLOYMENT_GVK);
  if (!mdInformer.store.hasIndex(CLUSTER_NAME_INDEX)) {
    mdInformer.addIndexer(CLUSTER_NAME_INDEX, (o) => [`${o.metadata.namespace ?? ''}/${String((o.spec as { clusterName?: string } | undefined)?.clusterName ?? '')}`]);
  }
  const deploymentsOfCluster = (c: KubeObject): Request[] =>
    mdInformer.store.byIndex(CLUSTER_NAME_INDEX, `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`)
      .map((md) => ({ namespace: md.metadata.namespace ?? '', name: md.metadata.name ?? '' }));
  newControllerManagedBy(mgr)
    .named('machinedeployment')
    .for(MACHINEDEPLOYMENT_GVK)
    .owns(MACHINESET_GVK)
    .watches(CLUSTER_GVK, deploymentsOfCluster)
    .complete(r);
  return r;
}
