/** Reading a MachineDeployment's MachineSets: revisions, the new one, the old ones, replica sums. */
import { Annotations, type MachineDeployment, type MachineSet } from '../../api/v1alpha1/index.js';
import { templatesEqual } from '../shared/template-hash.js';

export const replicasOf = (o: { spec: { replicas?: number } }): number => o.spec.replicas ?? 1;
export const availableOf = (ms: MachineSet): number => ms.status?.availableReplicas ?? 0;
export const sumReplicas = (sets: readonly MachineSet[]): number => sets.reduce((n, ms) => n + replicasOf(ms), 0);
export const sumAvailable = (sets: readonly MachineSet[]): number => sets.reduce((n, ms) => n + availableOf(ms), 0);

export function revisionOf(obj: { metadata: { annotations?: Record<string, string> } }): number {
  const v = Number(obj.metadata.annotations?.[Annotations.revision] ?? '0');
  return Number.isInteger(v) && v > 0 ? v : 0;
}

export const maxRevision = (sets: readonly MachineSet[]): number => sets.reduce((n, ms) => Math.max(n, revisionOf(ms)), 0);

const created = (ms: MachineSet): number => Date.parse(ms.metadata.creationTimestamp ?? '') || 0;

/** Oldest first, name as tie-break: the order old MachineSets are scaled down in. */
export function byCreation(a: MachineSet, b: MachineSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The MachineSet whose template is the MachineDeployment's (ignoring the hash label); the oldest if several. */
export function findNewMachineSet<S extends MachineSet>(md: MachineDeployment, sets: readonly S[]): S | undefined {
  return [...sets].sort(byCreation).find((ms) => templatesEqual(ms.spec.template, md.spec.template));
}

export function oldMachineSets<S extends MachineSet>(sets: readonly S[], newMS: MachineSet | undefined): S[] {
  return sets.filter((ms) => ms.metadata.uid !== newMS?.metadata.uid).sort(byCreation);
}

export const activeMachineSets = <S extends MachineSet>(sets: readonly S[]): S[] => sets.filter((ms) => replicasOf(ms) > 0);

/** The MachineSet controller has looked at this MachineSet's current spec, so its status counts are current. */
export function statusCurrent(ms: MachineSet): boolean {
  return (ms.status?.observedGeneration ?? -1) >= (ms.metadata.generation ?? 0);
}
