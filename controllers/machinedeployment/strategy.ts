/** A MachineDeployment's rollout strategy, resolved to numbers. */
import type { MachineDeployment } from '../../api/v1alpha1/index.js';
import { resolveIntOrPercent } from '../shared/intstr.js';

export interface ResolvedStrategy {
  type: 'RollingUpdate' | 'OnDelete';
  maxSurge: number;
  maxUnavailable: number;
}

/**
 * maxSurge rounds up and maxUnavailable down, as for Deployments. Throws, naming the field, when a value is
 * malformed or when both are zero (a RollingUpdate that could never make progress).
 */
export function resolveStrategy(md: MachineDeployment): ResolvedStrategy {
  const replicas = md.spec.replicas ?? 1;
  const type = md.spec.strategy?.type ?? 'RollingUpdate';
  const ru = md.spec.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(ru?.maxSurge, replicas, true, 1, 'spec.strategy.rollingUpdate.maxSurge');
  const maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, 0, 'spec.strategy.rollingUpdate.maxUnavailable');
  if (type === 'OnDelete') return { type, maxSurge: 0, maxUnavailable: 0 };
  if (maxSurge === 0 && maxUnavailable === 0) {
    throw new Error('spec.strategy.rollingUpdate: maxSurge and maxUnavailable both resolve to 0; the rollout could never progress');
  }
  // More unavailable than there are Machines means nothing more; clamping keeps the arithmetic honest.
  return { type, maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}
