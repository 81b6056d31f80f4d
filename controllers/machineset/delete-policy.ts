/** Which Machines a MachineSet deletes first when it has too many: the deletePolicy, after the obvious candidates. */
import { Annotations, type DeletePolicy, type Machine } from '../../api/v1alpha1/index.js';
import { isDeleting, isMachineFailed, isMachineReady } from '../shared/machine-state.js';

/** Lower goes first: a user's explicit wish, then broken Machines, then ones that never became ready. */
function priority(m: Machine): number {
  if (m.metadata.annotations?.[Annotations.deleteMachine] !== undefined) return 0;
  if (isMachineFailed(m)) return 1;
  if (!isMachineReady(m)) return 2;
  return 3;
}

const created = (m: Machine): number => Date.parse(m.metadata.creationTimestamp ?? '') || 0;

/**
 * "Random" is a hash of the UID rather than Math.random(): a reconcile that is killed half-way through its
 * deletes picks the same victims when it runs again, instead of spreading the scale-down over new ones.
 */
function scatter(m: Machine): number {
  let h = 0x811c9dc5;
  for (const ch of m.metadata.uid ?? m.metadata.name ?? '') {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The `count` Machines to delete, in order. Machines already being deleted are never chosen again. */
export function selectMachinesToDelete<M extends Machine>(machines: readonly M[], count: number, policy: DeletePolicy = 'Random'): M[] {
  if (count <= 0) return [];
  const candidates = machines.filter((m) => !isDeleting(m));
  const byPolicy = (a: Machine, b: Machine): number => {
    switch (policy) {
      case 'Newest':
        return created(b) - created(a);
      case 'Oldest':
        return created(a) - created(b);
      case 'Random':
        return scatter(a) - scatter(b);
    }
  };
  candidates.sort((a, b) => priority(a) - priority(b) || byPolicy(a, b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return candidates.slice(0, count);
}
