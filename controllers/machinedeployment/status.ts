/** A MachineDeployment's status and conditions, from its MachineSets. */
import type { Condition, MachineDeployment, MachineDeploymentStatus, MachineSet, ReplicaPhase } from '../../api/v1alpha1/index.js';
import { conditionTime, findCondition, putCondition, withCondition, withoutCondition } from '../../runtime/conditions.js';
import { selectorToString } from '../../runtime/labels.js';
import { availableOf, replicasOf, sumReplicas } from './machinesets.js';
import type { SkewVerdict } from './version-skew.js';

export const Conditions = {
  available: 'Available',
  progressing: 'Progressing',
  versionSkew: 'VersionSkewOk',
} as const;

export const ProgressReasons = {
  newMachineSetAvailable: 'NewMachineSetAvailable',
  machineSetUpdated: 'MachineSetUpdated',
  deadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'MachineDeploymentPaused',
  invalidStrategy: 'InvalidStrategy',
} as const;

export interface MDStatusInput {
  md: MachineDeployment;
  newMS: MachineSet | undefined;
  old: readonly MachineSet[];
  maxUnavailable: number;
  skew: SkewVerdict | undefined;
  /** A spec error that stops the rollout (invalid strategy, selector). */
  specError?: string;
  now: number;
}

export interface MDStatusResult {
  status: MachineDeploymentStatus;
  /** Set when Progressing just turned ProgressDeadlineExceeded (for an Event). */
  deadlineExceeded?: string;
  /** When the progress deadline falls, to requeue then. */
  deadlineInMs?: number;
}

/** Complete: the new MachineSet carries every Machine, all available, and no old Machine is left. */
export function rolloutComplete(desired: number, newMS: MachineSet | undefined, old: readonly MachineSet[]): boolean {
  return newMS !== undefined && replicasOf(newMS) === desired && (newMS.status?.replicas ?? 0) === desired && availableOf(newMS) === desired
    && old.every((ms) => replicasOf(ms) === 0 && (ms.status?.replicas ?? 0) === 0);
}

export function computeMDStatus({ md, newMS, old, maxUnavailable, skew, specError, now }: MDStatusInput): MDStatusResult {
  const desired = md.spec.replicas ?? 1;
  const all = newMS ? [newMS, ...old] : [...old];
  const sum = (f: (ms: MachineSet) => number | undefined): number => all.reduce((n, ms) => n + (f(ms) ?? 0), 0);
  const replicas = sum((ms) => ms.status?.replicas);
  const ready = sum((ms) => ms.status?.readyReplicas);
  const available = sum((ms) => ms.status?.availableReplicas);
  const updated = newMS?.status?.replicas ?? 0;
  const prev = md.status?.conditions ?? [];
  let conditions: Condition[] = prev;
  const condition = (type: string, status: Condition['status'], reason: string, message: string): void => {
    conditions = withCondition(conditions, { type, status, reason, message }, { now });
  };
  const out: MDStatusResult = { status: {} };

  const minAvailable = desired - maxUnavailable;
  if (available >= minAvailable) condition(Conditions.available, 'True', 'MinimumReplicasAvailable', `${available} of ${desired} Machines available (minimum ${minAvailable})`);
  else condition(Conditions.available, 'False', 'MinimumReplicasUnavailable', `${available} of ${desired} Machines available; at least ${minAvailable} required`);

  const oldProgress = findCondition(prev, Conditions.progressing);
  if (specError) {
    condition(Conditions.progressing, 'False', ProgressReasons.invalidStrategy, specError);
  } else if (md.spec.paused) {
    condition(Conditions.progressing, 'Unknown', ProgressReasons.paused, 'the MachineDeployment is paused');
  } else if (rolloutComplete(desired, newMS, old)) {
    condition(Conditions.progressing, 'True', ProgressReasons.newMachineSetAvailable, `MachineSet ${newMS!.metadata.name ?? ''} has successfully progressed`);
  } else {
    const message = `MachineSet ${newMS?.metadata.name ?? '(not created yet)'}: ${updated} of ${desired} Machines updated, ${available} available, ${replicas - updated} old`;
    const deadlineMs = (md.spec.progressDeadlineSeconds ?? 600) * 1000;
    const since = Date.parse(oldProgress?.lastTransitionTime ?? '') || now;
    if (oldProgress?.reason === ProgressReasons.deadlineExceeded && oldProgress.message?.endsWith(message)) {
      // Stays exceeded until something moves.
    } else if (!oldProgress || oldProgress.message !== message || oldProgress.reason !== ProgressReasons.machineSetUpdated) {
      // Progress (or a fresh start) resets the clock: lastTransitionTime marks the last progress seen.
      conditions = putCondition(conditions, { type: Conditions.progressing, status: 'True', reason: ProgressReasons.machineSetUpdated, message, lastTransitionTime: conditionTime(now) });
      out.deadlineInMs = deadlineMs;
    } else if (now - since >= deadlineMs) {
      const msg = `progress deadline of ${deadlineMs / 1000}s exceeded; ${message}`;
      conditions = putCondition(conditions, { type: Conditions.progressing, status: 'False', reason: ProgressReasons.deadlineExceeded, message: msg, lastTransitionTime: conditionTime(now) });
      out.deadlineExceeded = msg;
    } else {
      out.deadlineInMs = since + deadlineMs - now;
    }
  }
  if (skew) condition(Conditions.versionSkew, skew.ok ? 'True' : 'False', skew.reason, skew.message);
  else conditions = withoutCondition(conditions, Conditions.versionSkew);

  let phase: ReplicaPhase;
  if (all.some((ms) => ms.status?.phase === 'Failed')) phase = 'Failed';
  else if (replicas < desired) phase = 'ScalingUp';
  else if (replicas > desired) phase = 'ScalingDown';
  else phase = ready >= desired ? 'Running' : 'ScalingUp';

  out.status = {
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumReplicas(all) - available),
    selector: selectorToString(md.spec.selector),
    observedGeneration: md.metadata.generation ?? 0,
    phase,
    conditions,
  };
  return out;
}
