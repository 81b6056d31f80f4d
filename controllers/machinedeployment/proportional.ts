/**
 * Scaling a MachineDeployment while several of its MachineSets have Machines (mid-rollout): the change is
 * spread over them in proportion to their size, as Deployments do, using the max-replicas annotation each
 * MachineSet got when it was last sized. Then neither the new nor the old template wins by accident.
 */
import { Annotations, type MachineSet } from '../../api/v1alpha1/index.js';
import { activeMachineSets, availableOf, replicasOf } from './machinesets.js';

const created = (ms: MachineSet): number => Date.parse(ms.metadata.creationTimestamp ?? '') || 0;

/** True when some active MachineSet was sized for another replica count than `desired`. */
export function isScalingEvent(desired: number, sets: readonly MachineSet[]): boolean {
  return activeMachineSets(sets).some((ms) => {
    const v = ms.metadata.annotations?.[Annotations.desiredReplicas];
    return v !== undefined && Number(v) !== desired;
  });
}

/** The new size of every MachineSet whose size changes. `statusReplicas` stands in for a missing annotation. */
export function proportionalScale(desired: number, maxSurge: number, newMS: MachineSet | undefined, old: readonly MachineSet[], statusReplicas: number): Map<string, number> {
  const out = new Map<string, number>();
  const all = newMS ? [newMS, ...old] : [...old];
  const active = activeMachineSets(all);
  const set = (ms: MachineSet, n: number): void => {
    if (n !== replicasOf(ms)) out.set(ms.metadata.name ?? '', n);
  };

  // Zero or one MachineSet with Machines: it simply takes the new size.
  if (active.length <= 1) {
    const target = active[0] ?? newMS ?? [...old].sort((a, b) => created(b) - created(a))[0];
    if (target) set(target, desired);
    return out;
  }
  // The new MachineSet already carries the whole deployment: the old ones go.
  if (newMS && replicasOf(newMS) === desired && availableOf(newMS) === desired
      && Number(newMS.metadata.annotations?.[Annotations.desiredReplicas]) === desired) {
    for (const ms of old) set(ms, 0);
    return out;
  }

  const allowed = desired > 0 ? desired + maxSurge : 0;
  const toAdd = allowed - active.reduce((n, ms) => n + replicasOf(ms), 0);
  if (toAdd === 0) return out;
  // Growing favours the larger, newer sets; shrinking takes from the larger, older ones first.
  active.sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? created(b) - created(a) : created(a) - created(b)));

  const sizes = new Map<MachineSet, number>();
  let added = 0;
  for (const ms of active) {
    let proportion = 0;
    if (toAdd !== added) {
      const annotated = Number(ms.metadata.annotations?.[Annotations.maxReplicas] ?? NaN);
      const base = Number.isFinite(annotated) && annotated > 0 ? annotated : Math.max(1, statusReplicas);
      const fraction = desired === 0 ? -replicasOf(ms) : Math.round((replicasOf(ms) * (desired + maxSurge)) / base) - replicasOf(ms);
      const remaining = toAdd - added;
      proportion = toAdd > 0 ? Math.min(fraction, remaining) : Math.max(fraction, remaining);
    }
    sizes.set(ms, replicasOf(ms) + proportion);
    added += proportion;
  }
  // Rounding leftovers go to the largest set.
  const first = active[0]!;
  sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
  for (const [ms, n] of sizes) set(ms, Math.max(0, n));
  return out;
}
