/**
 * The RollingUpdate arithmetic of the Deployment controller, over MachineSets: how far the new MachineSet may
 * grow (replicas + maxSurge in total) and how far old ones may shrink (replicas - maxUnavailable available).
 * Pure functions: the reconciler applies their answers one step at a time and waits for the world to follow.
 */
import type { MachineSet } from '../../api/v1alpha1/index.js';
import { availableOf, byCreation, replicasOf, sumAvailable, sumReplicas } from './machinesets.js';
import type { ResolvedStrategy } from './strategy.js';

/** The replicas the new MachineSet should have now. */
export function newMachineSetReplicas(desired: number, all: readonly MachineSet[], newMS: MachineSet, s: ResolvedStrategy): number {
  const current = replicasOf(newMS);
  if (current >= desired) return desired;
  const maxTotal = desired + s.maxSurge;
  const total = sumReplicas(all);
  if (total >= maxTotal) return current;
  return current + Math.min(maxTotal - total, desired - current);
}

/**
 * New replica counts for old MachineSets (only those that change). First the unavailable Machines of old
 * sets go (they add nothing to availability), then available ones, oldest set first, as long as
 * replicas - maxUnavailable Machines stay available.
 */
export function oldMachineSetsScaleDown(desired: number, all: readonly MachineSet[], newMS: MachineSet | undefined, old: readonly MachineSet[], s: ResolvedStrategy): Map<string, number> {
  const out = new Map<string, number>();
  const sorted = [...old].sort(byCreation);
  if (sumReplicas(sorted) === 0) return out;
  const minAvailable = desired - s.maxUnavailable;
  const newUnavailable = newMS ? Math.max(0, replicasOf(newMS) - availableOf(newMS)) : 0;
  const maxScaledDown = sumReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;

  const replicas = new Map(sorted.map((ms) => [ms.metadata.name ?? '', replicasOf(ms)]));
  let cleaned = 0;
  for (const ms of sorted) {
    const name = ms.metadata.name ?? '';
    const r = replicas.get(name)!;
    const unhealthy = Math.max(0, r - availableOf(ms));
    if (cleaned >= maxScaledDown) break;
    if (r === 0 || unhealthy === 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    replicas.set(name, r - n);
    cleaned += n;
  }

  const available = sumAvailable(all);
  let budget = available - minAvailable;
  for (const ms of sorted) {
    if (budget <= 0) break;
    const name = ms.metadata.name ?? '';
    const r = replicas.get(name)!;
    if (r === 0) continue;
    const n = Math.min(r, budget);
    replicas.set(name, r - n);
    budget -= n;
  }
  for (const ms of sorted) {
    const name = ms.metadata.name ?? '';
    if (replicas.get(name) !== replicasOf(ms)) out.set(name, replicas.get(name)!);
  }
  return out;
}
