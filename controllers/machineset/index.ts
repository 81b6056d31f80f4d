/** The MachineSet controller, ready to register with a Manager. */
import { newControllerManagedBy } from '../../runtime/builder.js';
import { NAMESPACE_INDEX } from '../../runtime/cache/store.js';
import { fromLabelSelector, matches, type LabelSelector } from '../../runtime/labels.js';
import type { Manager } from '../../runtime/manager.js';
import type { KubeObject, Request } from '../../runtime/types.js';
import { objectsOfCluster } from '../shared/cluster-index.js';
import { CLUSTER_GVK, MACHINE_GVK, MACHINESET_GVK } from '../shared/gvk.js';
import { pausedChanged } from '../shared/predicates.js';
import { MachineSetReconciler } from './reconciler.js';
import type { ReconcilerOptions } from '../../runtime/reconcile.js';

export { MachineSetReconciler } from './reconciler.js';

/**
 * Registers the controller: MachineSets, the Machines they own, and Clusters (un-pausing one wakes its
 * MachineSets). Returns the reconciler, whose expectations tests may inspect.
 */
export function registerMachineSetController(mgr: Manager, deps: ReconcilerOptions = {}): MachineSetReconciler {
  const r = new MachineSetReconciler({ client: mgr.client, cache: mgr.cache, recorder: mgr.getEventRecorderFor('machineset-controller') }, deps);
  const msInformer = mgr.cache.getInformer(MACHINESET_GVK);
  // An orphan Machine wakes every MachineSet whose selector matches it, so one of them adopts it.
  const setsSelecting = (m: KubeObject): Request[] => {
    if (m.metadata.ownerReferences?.some((r) => r.controller === true)) return [];
    return msInformer.store.byIndex(NAMESPACE_INDEX, m.metadata.namespace ?? '')
      .filter((ms) => selects(ms, m))
      .map((ms) => ({ namespace: ms.metadata.namespace ?? '', name: ms.metadata.name ?? '' }));
  };
  newControllerManagedBy(mgr)
    .named('machineset')
    .for(MACHINESET_GVK)
    .owns(MACHINE_GVK)
    .watches(MACHINE_GVK, setsSelecting)
    .watches(CLUSTER_GVK, objectsOfCluster(mgr, MACHINESET_GVK), pausedChanged)
    .complete(r);
  return r;
}

function selects(ms: KubeObject, m: KubeObject): boolean {
  try {
    return matches(fromLabelSelector((ms.spec as { selector?: LabelSelector } | undefined)?.selector ?? { matchLabels: { '\u0000': '' } }), m.metadata.labels);
  } catch {
    return false;
  }
}
