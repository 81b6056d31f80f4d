/**
 * The one definition of a ready Machine, shared by every controller that counts Machines: its Ready
 * condition is True (set by the Machine controller once the Node is Ready and the Machine is not being deleted).
 */
import type { Machine } from '../../api/v1alpha1/index.js';

export const MachineConditions = {
  BootstrapReady: 'BootstrapReady',
  InfrastructureReady: 'InfrastructureReady',
  NodeHealthy: 'NodeHealthy',
  Ready: 'Ready',
  /** False when a MachineSet-owned Machine's version or infrastructure was edited (refused, not acted on). */
  SpecImmutable: 'SpecImmutable',
  Draining: 'Draining',
} as const;

export function isMachineReady(m: Pick<Machine, 'status'>): boolean {
  return m.status?.conditions?.some((c) => c.type === MachineConditions.Ready && c.status === 'True') ?? false;
}

/** When the Machine last became Ready (for minReadySeconds), or undefined when it is not Ready. */
export function machineReadySince(m: Pick<Machine, 'status'>): Date | undefined {
  const c = m.status?.conditions?.find((x) => x.type === MachineConditions.Ready && x.status === 'True');
  return c?.lastTransitionTime ? new Date(c.lastTransitionTime) : undefined;
}
