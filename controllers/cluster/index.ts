/**
 * The Cluster controller, wired to a Manager:
 *
 *   registerClusterController(mgr, { providers, logger })
 *
 * It reconciles a Cluster on its own changes and on any change to a Machine labelled with its name
 * (control-plane progress, deletion progress).
 */
import type { Logger } from 'pino';
import { Labels } from '../../api/v1alpha1/index.js';
import { silentLogger } from '../../lib/logging.js';
import { enqueueByLabel, newControllerManagedBy, type Controller, type Manager } from '../../runtime/index.js';
import { CLUSTER_GVK, MACHINE_GVK, type ControllerDeps, type ProviderLookup } from './deps.js';
import { ClusterReconciler } from './reconciler.js';
import { WorkloadClusters } from './workload.js';

export { ClusterReconciler } from './reconciler.js';
export { WorkloadClusters } from './workload.js';
export type { ControllerDeps, ProviderLookup } from './deps.js';

/** The daemon's deps as controllers/index.ts passes them: providers is the ProviderRegistry. */
export interface RegisterDeps {
  providers: unknown;
  logger?: Logger;
  workloadClusters?: WorkloadClusters;
  joinTokenTTLSeconds?: number;
  pollIntervalMs?: number;
}

function isProviderLookup(p: unknown): p is ProviderLookup {
  return !!p && typeof (p as { get?: unknown }).get === 'function';
}

const workloadsByManager = new WeakMap<Manager, WorkloadClusters>();

/** One WorkloadClusters per Manager, shared by the Cluster and Machine controllers, closed with the manager. */
export function sharedWorkloadClusters(mgr: Manager, deps: RegisterDeps): WorkloadClusters {
  if (deps.workloadClusters) return deps.workloadClusters;
  let w = workloadsByManager.get(mgr);
  if (!w) {
    const created = new WorkloadClusters(mgr.client, (deps.logger ?? mgr.logger ?? silentLogger()).child({ component: 'workload-clusters' }));
    w = created;
    workloadsByManager.set(mgr, created);
    mgr.add({
      needLeaderElection: true,
      start: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => void created.close().then(resolve, resolve), { once: true })),
    });
  }
  return w;
}

export function toControllerDeps(mgr: Manager, deps: RegisterDeps): ControllerDeps {
  if (!isProviderLookup(deps.providers)) throw new Error('controllers: deps.providers must be a provider registry with get(name)');
  return {
    providers: deps.providers,
    logger: deps.logger,
    workloadClusters: sharedWorkloadClusters(mgr, deps),
    joinTokenTTLSeconds: deps.joinTokenTTLSeconds,
    pollIntervalMs: deps.pollIntervalMs,
  };
}

export function registerClusterController(mgr: Manager, deps: RegisterDeps): Controller {
  const d = toControllerDeps(mgr, deps);
  const r = new ClusterReconciler(mgr.client, mgr.cache, mgr.getEventRecorderFor('cluster-controller'), d, d.workloadClusters!);
  return newControllerManagedBy(mgr)
    .named('cluster')
    .for(CLUSTER_GVK)
    .watches(MACHINE_GVK, enqueueByLabel(Labels.clusterName))
    .complete(r);
}
