/** A MachineSet's status, computed from the Machines it owns. */
import type { Condition, Machine, MachineSet, MachineSetStatus, ReplicaPhase } from '../../api/v1alpha1/index.js';
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

  const prev = ms.status?.conditions ?? [];
  const conditions: Condition[] = [];
  conditions.push(
    condition(prev, 'Ready', ready >= desired && active.length === desired ? 'True' : 'False', now,
      ready >= desired && active.length === desired ? 'MachinesReady' : 'WaitingForMachines',
      `${ready} of ${desired} Machines ready`),
  );
  if (manageError) conditions.push(condition(prev, 'ReplicaFailure', 'True', now, 'ManageMachinesFailed', manageError));

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

/** A condition that keeps its lastTransitionTime unless its status flips. */
export function condition(prev: readonly Condition[], type: string, status: Condition['status'], now: number, reason: string, message: string): Condition {
  const old = prev.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : new Date(now).toISOString();
  return { type, status, reason, message, lastTransitionTime };
}
