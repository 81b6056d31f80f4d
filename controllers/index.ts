/**
 * The hook through which `clusterd run` installs the controllers: one Reconciler per kind, each registered
 * with the runtime's builder by its own package. What the Cluster and Machine controllers share (the
 * workload-cluster clients) is built here, once.
 */
import type { Logger } from 'pino';
import type { Manager } from '../runtime/index.js';
import { registerClusterController } from './cluster/index.js';
import { registerMachineController, renderMachineCloudInit } from './machine/index.js';
import { registerMachineSetController } from './machineset/index.js';
import { registerMachineDeploymentController } from './machinedeployment/index.js';
import type { ProviderLookup } from './shared/deps.js';
import { newWorkloadClusters } from './shared/workload-clusters.js';

/** What the controllers need besides the Manager (which holds the client, cache and event recorders). */
export interface ControllerOptions {
  logger: Logger;
  /** The infrastructure providers, by name (providers/registry.ts). */
  providers: ProviderLookup;
}

/** Registers the Cluster, Machine, MachineSet and MachineDeployment controllers on mgr. */
export function registerControllers(mgr: Manager, opts: ControllerOptions): void {
  const workloads = newWorkloadClusters(mgr, opts.logger);
  registerClusterController(mgr, { providers: opts.providers, workloads, logger: opts.logger });
  registerMachineController(mgr, { providers: opts.providers, workloads, logger: opts.logger, renderCloudInit: renderMachineCloudInit });
  registerMachineSetController(mgr);
  registerMachineDeploymentController(mgr);
}
