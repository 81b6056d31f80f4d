/** A Machine's phase, from what the controller has observed (Cluster API's machine phases). */
import type { MachinePhase } from '../../api/v1alpha1/index.js';

export interface MachineObservation {
  deleting: boolean;
  failed: boolean;
  bootstrapReady: boolean;
  /** The provider has the machine (providerID recorded). */
  hasProviderID: boolean;
  /** The provider reports the machine booted. */
  infrastructureReady: boolean;
  hasNodeRef: boolean;
}

export function machinePhase(o: MachineObservation): MachinePhase {
  if (o.deleting) return 'Deleting';
  if (o.failed) return 'Failed';
  if (o.hasNodeRef) return 'Running';
  if (o.infrastructureReady) return 'Provisioned';
  if (o.bootstrapReady || o.hasProviderID) return 'Provisioning';
  return 'Pending';
}
