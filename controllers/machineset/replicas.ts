/**
 * How a MachineSet closes the gap between spec.replicas and the Machines it has, decided without I/O: how many
 * to create (capped per pass) or which to delete. The reconciler carries it out; the rollout simulator
 * (test/controllers/rollout-sim.ts) drives the same function.
 */
import { Labels, type Machine, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { isDeleting } from '../shared/machine-state.js';
import { getControllerOf } from '../../runtime/meta.js';
import { templateHash } from '../shared/template-hash.js';
import { selectMachinesToDelete } from './delete-policy.js';

/** Creates per pass at most, like the ReplicaSet controller's burst: a bad template fails fast, not 500 times. */
export const MAX_CREATES_PER_PASS = 10;

export type ReplicaAction<M extends Machine> =
  | { kind: 'none' }
  | { kind: 'create'; count: number }
  | { kind: 'delete'; machines: M[] };

/**
 * `frozen`: the MachineSet may not replace Machines (an outdated MachineSet of an OnDelete MachineDeployment).
 * Machines being deleted no longer count.
 */
export function decideReplicas<M extends Machine>(ms: MachineSet, owned: readonly M[], frozen: boolean, maxCreates: number): ReplicaAction<M> {
  const active = owned.filter((m) => !isDeleting(m));
  const diff = active.length - (ms.spec.replicas ?? 1);
  if (diff < 0) return frozen ? { kind: 'none' } : { kind: 'create', count: Math.min(-diff, maxCreates) };
  if (diff > 0) return { kind: 'delete', machines: selectMachinesToDelete(active, diff, ms.spec.deletePolicy ?? 'Random') };
  return { kind: 'none' };
}

/**
 * An outdated MachineSet of an OnDelete MachineDeployment never replaces Machines: the user deleting one is
 * how the rollout moves, and the MachineDeployment gives the slot to the new MachineSet.
 */
export function frozenByOnDelete(ms: MachineSet, md: MachineDeployment | undefined): boolean {
  const ref = getControllerOf(ms);
  if (!ref || ref.kind !== 'MachineDeployment') return false;
  if (!md || md.metadata.uid !== ref.uid || md.spec.strategy?.type !== 'OnDelete') return false;
  return ms.metadata.labels?.[Labels.templateHash] !== templateHash(md.spec.template);
}
