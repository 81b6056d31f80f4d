/**
 * Which changes of a Cluster or a Machine are worth a reconcile of another kind. A Cluster writes its status on
 * most of its reconciles, and every Machine writes its own: without these, each such write woke every Machine of
 * the Cluster, and each Machine status write woke its Cluster.
 */
import { Labels, type Cluster, type Machine } from '../../api/v1alpha1/index.js';
import { anyOf, changed, generationChanged } from '../../runtime/predicates.js';
import type { Predicate } from '../../runtime/controller.js';
import { isMachineFailed, isMachineReady } from './machine-state.js';

/** spec.paused flipped: everything of the Cluster stops, or resumes. */
export const pausedChanged: Predicate = changed<Cluster>((c) => c.spec?.paused === true);

/** The first control-plane member initialised the cluster: workers and joining members may bootstrap. */
export const controlPlaneInitialized: Predicate = changed<Cluster>((c) => c.status?.controlPlaneInitialized === true);

/** The cluster infrastructure became ready (or stopped being so): Machines may be created on it. */
export const infrastructureReadyChanged: Predicate = changed<Cluster>((c) => c.status?.infrastructureReady === true);

/** The version the control plane runs: a worker rollout held by the version-skew guard may go on. */
export const controlPlaneVersionChanged: Predicate = changed<Cluster>((c) => c.status?.controlPlane?.version);

/** The Cluster is being deleted: its Machines skip draining. */
export const clusterDeleting: Predicate = changed<Cluster>((c) => !!c.metadata.deletionTimestamp);

/** A Cluster change a Machine acts on: its spec (endpoint, paused), infrastructure readiness, initialisation, deletion. */
export const clusterChangeForMachines: Predicate = anyOf(generationChanged, pausedChanged, infrastructureReadyChanged, controlPlaneInitialized, clusterDeleting);

/** A Cluster change a MachineDeployment acts on (a MachineSet acts on pausedChanged alone). */
export const clusterChangeForMachineDeployments: Predicate = anyOf(generationChanged, pausedChanged, controlPlaneVersionChanged);

const isControlPlane = (m: Machine): boolean => m.metadata.labels?.[Labels.controlPlane] !== undefined;

/** What the Cluster controller reads of a control-plane Machine (control-plane.ts's CPMember, status, init probe). */
function controlPlaneView(m: Machine): unknown {
  return {
    ready: isMachineReady(m), failed: isMachineFailed(m), phase: m.status?.phase, deleting: !!m.metadata.deletionTimestamp,
    providerID: m.spec.providerID, nodeRef: m.status?.nodeRef?.name, version: [m.spec.version, m.status?.version],
    labels: m.metadata.labels, annotations: m.metadata.annotations, clusterName: m.spec.clusterName,
  };
}

/**
 * A Machine change its Cluster acts on: any Machine appearing or going (ordered deletion waits for them), and an
 * update of a control-plane Machine that changes what the control plane is made of. A worker's status writes and a
 * control-plane Machine's progress reports between those do not wake the Cluster.
 */
export const machineChangeForCluster: Predicate = {
  update: (o, n) => {
    const [a, b] = [o as unknown as Machine, n as unknown as Machine];
    if (!isControlPlane(a) && !isControlPlane(b)) return !a.metadata.deletionTimestamp && !!b.metadata.deletionTimestamp;
    return isControlPlane(a) !== isControlPlane(b) || JSON.stringify(controlPlaneView(a)) !== JSON.stringify(controlPlaneView(b));
  },
};
