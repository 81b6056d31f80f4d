/**
 * The Machine controller, wired to a Manager:
 *
 *   registerMachineController(mgr, { providers, logger })
 *
 * A Machine is reconciled on its own changes, on changes to its Cluster (infrastructure ready, control
 * plane initialised, paused), and on changes to its Node in the workload cluster (a watch per cluster).
 */
import type { Cluster, Machine } from '../../api/v1alpha1/index.js';
import { newControllerManagedBy, type Controller, type KubeObject, type Manager, type Request } from '../../runtime/index.js';
import { CLUSTER_GVK, MACHINE_GVK } from '../cluster/deps.js';
import { toControllerDeps, type RegisterDeps } from '../cluster/index.js';
import type { CloudInitRenderer } from './bootstrap-data.js';
import { MachineReconciler } from './reconciler.js';

export { MachineReconciler } from './reconciler.js';
export { isMachineReady, MachineConditions } from './ready.js';
export type { BootstrapDataInput, CloudInitRenderer } from './bootstrap-data.js';

export interface MachineRegisterDeps extends RegisterDeps {
  renderCloudInit: CloudInitRenderer;
}

export function registerMachineController(mgr: Manager, deps: MachineRegisterDeps): Controller {
  const d = toControllerDeps(mgr, deps);
  const workloads = d.workloadClusters!;
  const r = new MachineReconciler(mgr.client, mgr.cache, mgr.getEventRecorderFor('machine-controller'), d, workloads, deps.renderCloudInit);
  const machines = mgr.cache.getInformer(MACHINE_GVK);
  const machinesOfCluster = (obj: KubeObject): Request[] => {
    const c = obj as unknown as Cluster;
    const out: Request[] = [];
    for (const o of machines.store.values()) {
      const m = o as unknown as Machine;
      if (m.metadata.namespace === c.metadata.namespace && m.spec.clusterName === c.metadata.name) out.push({ namespace: m.metadata.namespace ?? '', name: m.metadata.name! });
    }
    return out;
  };
  const controller = newControllerManagedBy(mgr)
    .named('machine')
    .for(MACHINE_GVK)
    .watches(CLUSTER_GVK, machinesOfCluster)
    .complete(r);
  workloads.onNodeEvent((_cluster, node) => {
    const pid = node.spec?.providerID;
    const req = pid ? r.byProviderID.get(pid) : undefined;
    if (req) controller.queue.add(req);
  });
  return controller;
}
export { renderMachineCloudInit } from './cloud-init.js';
