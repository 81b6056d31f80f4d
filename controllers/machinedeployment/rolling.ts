/**
 * The RollingUpdate arithmetic of the Deployment controller, over MachineSets: how far the new MachineSet may
 * grow (replicas + maxSurge in total) and how far old ones may shrink (replicas - maxUnavailable available).
 * Pure functions: the reconciler applies their answers one step at a time and waits for the world to follow.
 */
import type { MachineSet } from '../../api/v1alpha1/index.js';
import { availableOf, byCreation, replicasOf, statusCurrent, sumAvailable, sumReplicas } from './machinesets.js';
import type { ResolvedStrategy } from './strategy.js';
import type { RolloutStep } from './sync.js';

/**
 * One RollingUpdate step: the new MachineSet grows first (within surge); only when it may not grow and every
 * MachineSet's status has caught up with its spec do old ones shrink (within availability).
 */
export function rolloutRolling(desired: number, newMS: MachineSet, old: readonly MachineSet[], s: ResolvedStrategy): RolloutStep {
  const all = [newMS, ...old];
  const target = newMachineSetReplicas(desired, all, newMS, s);
  if (target !== replicasOf(newMS)) return { kind: 'resize', sizes: new Map([[newMS.metadata.name ?? '', target]]), annotateOthers: false, cleanup: true };
  // Availability figures are only as good as the MachineSet controller's last look at the new sizes.
  if (!all.every(statusCurrent)) return { kind: 'wait', cleanup: true };
  return { kind: 'resize', sizes: oldMachineSetsScaleDown(desired, all, newMS, old, s), annotateOthers: true, cleanup: true };
}

/**
 * The replicas the new MachineSet should have now. An old MachineSet counts with the Machines it still has
 * (status.replicas) while its controller has not yet deleted down to its new size: counting its spec alone let
 * the new MachineSet grow in that gap, and for a moment there were more than replicas + maxSurge Machines (the
 * golden rollout simulator found it).
 */
export function newMachineSetReplicas(desired: number, all: readonly MachineSet[], newMS: MachineSet, s: ResolvedStrategy): number {
  const current = replicasOf(newMS);
  if (current >= desired) return desired;
  const maxTotal = desired + s.maxSurge;
  const total = all.reduce((n, ms) => n + Math.max(replicasOf(ms), ms.status?.replicas ?? 0), 0);
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
