/**
 * Which kubeadm role a Machine bootstraps with. Control-plane Machines: the one claimed as the init
 * machine on the Cluster runs `init`; the others wait for the cluster to be initialised and then
 * `join --control-plane`. Workers wait for the control plane to be initialised and `join`.
 */
import { Labels, type Cluster, type Machine } from '../../api/v1alpha1/index.js';
import { ControllerAnnotations } from '../shared/names.js';

export type BootstrapRole = 'init' | 'join-control-plane' | 'join-worker';

export type RoleDecision =
  | { role: BootstrapRole }
  /** Try to claim the init slot on the Cluster (optimistic concurrency), then decide again. */
  | { claimInit: true }
  | { wait: string };

export const isControlPlaneMachine = (m: Pick<Machine, 'metadata'>): boolean =>
  Object.prototype.hasOwnProperty.call(m.metadata.labels ?? {}, Labels.controlPlane);

/**
 * @param initMachineExists whether the Machine named in the Cluster's init-machine annotation still exists
 *        (not being deleted); a claim by a Machine that is gone may be taken over.
 */
export function decideRole(machine: Machine, cluster: Cluster, initMachineExists: boolean): RoleDecision {
  const initialized = cluster.status?.controlPlaneInitialized === true;
  if (!isControlPlaneMachine(machine)) {
    return initialized ? { role: 'join-worker' } : { wait: 'waiting for the control plane to be initialised' };
  }
  const claimedBy = cluster.metadata.annotations?.[ControllerAnnotations.initMachine];
  if (claimedBy === machine.metadata.name) return initialized ? { role: 'join-control-plane' } : { role: 'init' };
  if (initialized) return { role: 'join-control-plane' };
  if (!claimedBy || !initMachineExists) return { claimInit: true };
  return { wait: `waiting for ${claimedBy} to initialise the control plane` };
}
