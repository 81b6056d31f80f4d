/**
 * The Machine controller's condition types. A Machine is ready when its Ready condition is True: the Machine
 * controller sets it once the Node is Ready (see controllers/shared/machine-state.ts for the shared helpers).
 */

export const MachineConditions = {
  BootstrapReady: 'BootstrapReady',
  InfrastructureReady: 'InfrastructureReady',
  NodeHealthy: 'NodeHealthy',
  /** The provider's report of the machine's bootstrap run (as CAPD's BootstrapExecSucceeded): False when it failed. */
  BootstrapExecSucceeded: 'BootstrapExecSucceeded',
  Ready: 'Ready',
  /** False when a MachineSet-owned Machine's version or infrastructure was edited (refused, not acted on). */
  SpecImmutable: 'SpecImmutable',
  Draining: 'Draining',
  /** A deleted control-plane Machine's etcd member: True once removed (or gone), False with the etcd error while not. */
  EtcdMemberRemoved: 'EtcdMemberRemoved',
} as const;

/** Ready, available and friends are defined once, in controllers/shared/machine-state.ts; re-exported here. */
export { isMachineReady, readySince } from '../shared/machine-state.js';
