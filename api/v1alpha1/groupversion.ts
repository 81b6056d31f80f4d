/** The clusterd.dev/v1alpha1 API group: names every other part of clusterd agrees on. */
export const GROUP = 'clusterd.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Labels clusterd sets and selects on. */
export const Labels = {
  /** On every Machine, MachineSet and MachineDeployment: the Cluster it belongs to. */
  clusterName: 'clusterd.dev/cluster-name',
  /** Marks a Machine as a control-plane member (value is empty). */
  controlPlane: 'clusterd.dev/control-plane',
  /** On Machines and MachineSets created for a MachineDeployment. */
  deploymentName: 'clusterd.dev/deployment-name',
  /** On Machines created by a MachineSet. */
  setName: 'clusterd.dev/set-name',
  /** Hash of a MachineDeployment's template: one MachineSet per template revision. */
  templateHash: 'machine-template-hash',
} as const;

export const Annotations = {
  /** A Machine with this annotation is deleted first when its MachineSet scales down. */
  deleteMachine: 'clusterd.dev/delete-machine',
  /** The MachineDeployment revision a MachineSet represents, as Deployments do. */
  revision: 'clusterd.dev/revision',
  /** Desired replicas of the MachineDeployment, recorded on its MachineSets for proportional scaling. */
  desiredReplicas: 'clusterd.dev/desired-replicas',
  /** Maximum replicas (desired + maxSurge) allowed when the annotation was written. */
  maxReplicas: 'clusterd.dev/max-replicas',
  /**
   * On a MachineDeployment's template or a Cluster's controlPlane.machineTemplate: set by `clusterd rollout
   * restart` to the time of the restart. A new value makes every Machine outdated, so all are replaced in a
   * rolling update (kubectl's restartedAt; Cluster API's rolloutAfter).
   */
  restartedAt: 'clusterd.dev/restartedAt',
} as const;

export const Finalizers = {
  cluster: 'cluster.clusterd.dev',
  machine: 'machine.clusterd.dev',
} as const;
