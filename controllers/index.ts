/**
 * The hook through which `clusterd run` installs the controllers: one Reconciler per kind, each registered
 * with the runtime's builder by its own package.
 */
import type { Logger } from 'pino';
import type { Manager } from '../runtime/index.js';
import { registerClusterController } from './cluster/index.js';
import type { ProviderLookup } from './cluster/deps.js';
import { registerMachineController, renderMachineCloudInit } from './machine/index.js';
import { registerMachineSetController } from './machineset/index.js';
import { registerMachineDeploymentController } from './machinedeployment/index.js';

/** What the controllers need besides the Manager (which holds the client, cache and event recorders). */
export interface ControllerDeps {
  logger: Logger;
  /** The infrastructure providers, by name (providers/registry.ts). */
  providers: ProviderLookup;
  /** The daemon's data directory (`--data-dir`, default .clusterd), for state that must survive restarts. */
  dataDir: string;
  /** The namespace the daemon is restricted to, if any (`--namespace`). */
  namespace?: string;
  /** Default maxConcurrentReconciles (`--concurrency`). */
  concurrency: number;
}

/** Registers the Cluster, Machine, MachineSet and MachineDeployment controllers on mgr. */
export function registerControllers(mgr: Manager, deps: ControllerDeps): void {
  registerClusterController(mgr, { providers: deps.providers, logger: deps.logger });
  registerMachineController(mgr, { providers: deps.providers, logger: deps.logger, renderCloudInit: renderMachineCloudInit });
  registerMachineSetController(mgr);
  registerMachineDeploymentController(mgr);
}
