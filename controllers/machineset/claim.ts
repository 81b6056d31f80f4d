/** Ownership of Machines by a MachineSet: which it owns, which it should adopt, which it must let go. */
import { Labels, type Machine, type MachineSet } from '../../api/v1alpha1/index.js';
import { fromLabelSelector, matches } from '../../runtime/labels.js';
import { isDeleting } from '../shared/machine-state.js';
import { getControllerOf } from '../../runtime/meta.js';

export interface Claim<M extends Machine = Machine> {
  /** Controlled by this MachineSet and still matching its selector. */
  owned: M[];
  /** Matching, with no controller: this MachineSet takes them. */
  adopt: M[];
  /** Controlled by this MachineSet but no longer matching: their ownerReference goes. */
  release: M[];
}

/**
 * Sorts `machines` (those of the MachineSet's namespace) the way ReplicaSets claim Pods. Machines of another
 * cluster and control-plane Machines are never adopted: a broad selector must not swallow the control plane.
 */
export function claimMachines<M extends Machine>(ms: MachineSet, machines: readonly M[]): Claim<M> {
  const selector = fromLabelSelector(ms.spec.selector);
  const out: Claim<M> = { owned: [], adopt: [], release: [] };
  for (const m of machines) {
    const ref = getControllerOf(m);
    const matching = matches(selector, m.metadata.labels);
    if (ref) {
      if (ref.uid !== ms.metadata.uid) continue;
      if (matching) out.owned.push(m);
      else if (!isDeleting(m)) out.release.push(m);
      continue;
    }
    if (!matching || isDeleting(m) || isDeleting(ms)) continue;
    if (m.spec.clusterName !== ms.spec.clusterName) continue;
    if (m.metadata.labels?.[Labels.controlPlane] !== undefined) continue;
    out.adopt.push(m);
  }
  return out;
}
