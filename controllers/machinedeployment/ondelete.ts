/**
 * The OnDelete strategy: nothing is replaced until the user deletes a Machine. Old MachineSets shrink to the
 * Machines they still have, and the new MachineSet takes the freed slots, so the total never exceeds the
 * desired count. Pure: the reconciler and the rollout simulator (test/controllers/rollout-sim.ts) apply it.
 */
import type { MachineSet } from '../../api/v1alpha1/index.js';
import { replicasOf, statusCurrent } from './machinesets.js';
import type { RolloutStep } from './sync.js';

export function rolloutOnDelete(desired: number, newMS: MachineSet, old: readonly MachineSet[]): RolloutStep {
  // Until the MachineSet controller has counted, status.replicas may still include a Machine already gone.
  if (![newMS, ...old].every(statusCurrent)) return { kind: 'wait', cleanup: true };
  const sizes = new Map<string, number>();
  let excess = Math.max(0, old.reduce((n, ms) => n + replicasOf(ms), 0) + replicasOf(newMS) - desired);
  for (const ms of old) {
    let n = Math.min(replicasOf(ms), ms.status?.replicas ?? 0);
    const cut = Math.min(n, excess);
    n -= cut;
    excess -= cut;
    if (n !== replicasOf(ms)) sizes.set(ms.metadata.name ?? '', n);
  }
  const oldTotal = old.reduce((n, ms) => n + (sizes.get(ms.metadata.name ?? '') ?? replicasOf(ms)), 0);
  sizes.set(newMS.metadata.name ?? '', Math.max(0, desired - oldTotal));
  // Shrink the old ones first: the new MachineSet grows on the next pass, once the cache shows it.
  const shrink = new Map([...sizes].filter(([name]) => name !== newMS.metadata.name));
  return { kind: 'resize', sizes: shrink.size > 0 ? shrink : sizes, annotateOthers: true, cleanup: true };
}
