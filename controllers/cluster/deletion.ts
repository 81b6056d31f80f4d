/**
 * The order a Cluster is torn down in: what uses the control plane goes before the control plane, and the
 * control plane goes before the infrastructure it runs on. Each step waits for the previous one to be gone.
 */
export type DeletionStep = 'MachineDeployments' | 'MachineSets' | 'WorkerMachines' | 'ControlPlaneMachines' | 'Infrastructure' | 'Finalizer';

export interface RemainingObjects {
  machineDeployments: number;
  machineSets: number;
  workerMachines: number;
  controlPlaneMachines: number;
}

export function nextDeletionStep(r: RemainingObjects): DeletionStep {
  if (r.machineDeployments > 0) return 'MachineDeployments';
  if (r.machineSets > 0) return 'MachineSets';
  if (r.workerMachines > 0) return 'WorkerMachines';
  if (r.controlPlaneMachines > 0) return 'ControlPlaneMachines';
  return 'Infrastructure';
}
