/**
 * The hook through which `clusterd run` installs the controllers. The controllers (Cluster, Machine,
 * MachineSet, MachineDeployment) register themselves here with the runtime's builder:
 *
 *   newControllerManagedBy(mgr).for(ClusterGVK).owns(MachineGVK).complete(new ClusterReconciler(mgr, deps))
 */
import type { Logger } from 'pino';
import type { Manager } from '../runtime/index.js';

/** What the controllers need besides the Manager (which holds the client, cache and event recorders). */
export interface ControllerDeps {
  logger: Logger;
  /** The infrastructure provider registry (providers/); typed by its owner when the controllers land. */
  providers: unknown;
  /** The daemon's data directory (`--data-dir`, default .clusterd), for state that must survive restarts. */
  dataDir: string;
  /** The namespace the daemon is restricted to, if any (`--namespace`). */
  namespace?: string;
  /** Default maxConcurrentReconciles (`--concurrency`). */
  concurrency: number;
}

/** Registers every controller on mgr. Nothing is registered yet. */
export function registerControllers(_mgr: Manager, _deps: ControllerDeps): void {}
