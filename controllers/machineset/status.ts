/** A MachineSet's status, computed from the Machines it owns. */
import type { Machine, MachineSet, MachineSetStatus, ReplicaPhase } from '../../api/v1alpha1/index.js';
import { withCondition, withoutCondition } from '../../runtime/conditions.js';
import { selectorToString } from '../../runtime/labels.js';
import { isDeleting, isMachineAvailable, isMachineFailed, isMachineReady } from '../shared/machine-state.js';

export interface StatusInput {
  ms: MachineSet;
  /** Machines the MachineSet controls (including ones being deleted). */
  machines: readonly Machine[];
  now: number;
  /** A create or delete error of this reconcile, reported as ReplicaFailure. */
  manageError?: string;
}

export function computeStatus({ ms, machines, now, manageError }: StatusInput): MachineSetStatus {
  const desired = ms.spec.replicas ?? 1;
  const minReady = ms.spec.minReadySeconds ?? 0;
  const active = machines.filter((m) => !isDeleting(m));
  const templateLabels = ms.spec.template.metadata?.labels ?? {};
  const fullyLabeled = active.filter((m) => Object.entries(templateLabels).every(([k, v]) => m.metadata.labels?.[k] === v)).length;
  const ready = active.filter(isMachineReady).length;
  const available = active.filter((m) => isMachineAvailable(m, minReady, now)).length;
  const failed = active.filter(isMachineFailed);

  let phase: ReplicaPhase;
  if (failed.length > 0) phase = 'Failed';
  else if (active.length < desired) phase = 'ScalingUp';
  else if (active.length > desired) phase = 'ScalingDown';
  else phase = ready === desired ? 'Running' : 'ScalingUp';

  const allReady = ready >= desired && active.length === desired;
  let conditions = withCondition(ms.status?.conditions, {
    type: 'Ready', status: allReady ? 'True' : 'False', reason: allReady ? 'MachinesReady' : 'WaitingForMachines', message: `${ready} of ${desired} Machines ready`,
  }, { now });
  conditions = manageError
    ? withCondition(conditions, { type: 'ReplicaFailure', status: 'True', reason: 'ManageMachinesFailed', message: manageError }, { now })
    : withoutCondition(conditions, 'ReplicaFailure');

  const status: MachineSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    updatedReplicas: fullyLabeled,
    unavailableReplicas: Math.max(0, desired - available),
    selector: selectorToString(ms.spec.selector),
    observedGeneration: ms.metadata.generation ?? 0,
    phase,
    conditions,
  };
  if (failed.length > 0) {
    status.failureReason = 'MachineFailed';
    status.failureMessage = `Machine ${failed[0]!.metadata.name ?? ''} failed: ${failed[0]!.status?.failureMessage ?? failed[0]!.status?.failureReason ?? 'phase Failed'}`;
  }
  return status;
}
