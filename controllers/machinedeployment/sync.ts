/**
 * What one pass of the MachineDeployment controller does to its MachineSets, decided without I/O: create the
 * new MachineSet, resize (proportionally on a scaling event, else by the strategy), and which old MachineSets
 * to clean up. The reconciler carries the answer out; test/controllers/rollout-sim.ts drives the same
 * functions through whole rollouts and compares the sequence with golden logs.
 */
import type { MachineSet } from '../../api/v1alpha1/index.js';
import { Annotations } from '../../api/v1alpha1/index.js';
import { maxRevision, replicasOf, revisionOf, statusCurrent } from './machinesets.js';
import { replicaAnnotations } from './new-machineset.js';
import { rolloutOnDelete } from './ondelete.js';
import { isScalingEvent, proportionalScale } from './proportional.js';
import { rolloutRolling } from './rolling.js';
import type { ResolvedStrategy } from './strategy.js';

export type RolloutStep =
  /** Create the MachineSet for the current template. */
  | { kind: 'create'; replicas: number; revision: number }
  /**
   * Set these MachineSets' replicas (by name). With annotateOthers, active MachineSets not in `sizes` get the
   * deployment's desired/max-replicas annotations too, so the next pass does not take them for a scaling event.
   */
  | { kind: 'resize'; sizes: Map<string, number>; annotateOthers: boolean; cleanup: boolean }
  /** Nothing to write this pass (a status must catch up first). */
  | { kind: 'wait'; cleanup: boolean };

export interface RolloutInput {
  desired: number;
  newMS: MachineSet | undefined;
  old: readonly MachineSet[];
  strategy: ResolvedStrategy;
  /** The MachineDeployment's status.replicas, for proportional scaling of MachineSets without annotations. */
  statusReplicas: number;
}

/** The step of an un-paused MachineDeployment whose spec is valid. */
export function decideRollout({ desired, newMS, old, strategy, statusReplicas }: RolloutInput): RolloutStep {
  if (!newMS) return { kind: 'create', replicas: old.length === 0 ? desired : 0, revision: maxRevision(old) + 1 };
  const all = [newMS, ...old];
  if (isScalingEvent(desired, all)) {
    // The shares are computed from specs. A MachineSet whose controller has not yet deleted down to its spec
    // still has those Machines, and handing its slots out now passed replicas + maxSurge Machines in total
    // (the rollout simulator's random seeds found it): wait until every MachineSet's status has caught up.
    if (!all.every(statusCurrent)) return { kind: 'wait', cleanup: false };
    return { kind: 'resize', sizes: proportionalScale(desired, strategy.maxSurge, newMS, old, statusReplicas), annotateOthers: true, cleanup: false };
  }
  return strategy.type === 'OnDelete' ? rolloutOnDelete(desired, newMS, old) : rolloutRolling(desired, newMS, old, strategy);
}

export interface MachineSetPatch<S extends MachineSet> {
  ms: S;
  annotations: Record<string, string>;
  /** Absent: only the annotations change. */
  replicas?: number;
}

/** The patches a resize makes, in the order of `sets`. */
export function resizePatches<S extends MachineSet>(desired: number, maxSurge: number, sets: readonly S[], sizes: ReadonlyMap<string, number>, annotateOthers: boolean): MachineSetPatch<S>[] {
  const annotations = replicaAnnotations(desired, maxSurge);
  const out: MachineSetPatch<S>[] = [];
  for (const ms of sets) {
    const n = sizes.get(ms.metadata.name ?? '');
    const annotated = ms.metadata.annotations?.[Annotations.desiredReplicas] === annotations[Annotations.desiredReplicas]
      && ms.metadata.annotations?.[Annotations.maxReplicas] === annotations[Annotations.maxReplicas];
    if (n !== undefined) out.push({ ms, annotations, replicas: n });
    else if (annotateOthers && !annotated && replicasOf(ms) > 0) out.push({ ms, annotations });
  }
  return out;
}

/** Old MachineSets with no Machines beyond revisionHistoryLimit, oldest revision first: the ones to delete. */
export function historyToDelete<S extends MachineSet>(old: readonly S[], revisionHistoryLimit: number): S[] {
  const idle = old.filter((ms) => replicasOf(ms) === 0 && (ms.status?.replicas ?? 0) === 0 && statusCurrent(ms) && !ms.metadata.deletionTimestamp);
  return idle.sort((a, b) => revisionOf(a) - revisionOf(b)).slice(0, Math.max(0, idle.length - revisionHistoryLimit));
}
