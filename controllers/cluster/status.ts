/**
 * Cluster status from observations, as a pure function. Phases follow Cluster API: Pending until the
 * controller has acted, Provisioning while the infrastructure (load balancer) and endpoint are not ready,
 * Provisioned once they are (control-plane progress is in status.controlPlane and the conditions),
 * Deleting once deletion started, Failed when the provider failed for good.
 */
import type { ClusterPhase, ClusterStatus, Condition } from '../../api/v1alpha1/index.js';
import { withCondition } from '../../runtime/conditions.js';
import type { CPCounts } from './control-plane.js';

export const ClusterConditions = {
  InfrastructureReady: 'InfrastructureReady',
  CertificatesAvailable: 'CertificatesAvailable',
  ControlPlaneInitialized: 'ControlPlaneInitialized',
  ControlPlaneReady: 'ControlPlaneReady',
  /** The desired control-plane version is within the skew policy of what runs (absent without a managed control plane). */
  VersionSkewOk: 'VersionSkewOk',
  Ready: 'Ready',
} as const;

export interface ClusterObservation {
  generation?: number;
  deleting: boolean;
  infrastructure: { ready: boolean; endpointSet: boolean; failure?: { reason: string; message: string }; waiting?: string };
  certificates: { available: boolean; message?: string };
  initialized: boolean;
  /** Desired control-plane replicas: spec.controlPlane.replicas, or the number of control-plane Machines when unmanaged. */
  desiredReplicas: number;
  counts: CPCounts;
  version?: string;
  /** Why the control plane is not where it should be (rollout step, waiting reason). */
  controlPlaneMessage?: string;
  /** Managed control plane only: undefined when unmanaged, ok or the policy's reason and message otherwise. */
  versionSkew?: { ok: true } | { ok: false; reason: string; message: string };
}

export function clusterPhase(o: ClusterObservation): ClusterPhase {
  if (o.deleting) return 'Deleting';
  if (o.infrastructure.failure) return 'Failed';
  if (o.infrastructure.ready && o.infrastructure.endpointSet) return 'Provisioned';
  return 'Provisioning';
}

export function controlPlaneReady(o: ClusterObservation): boolean {
  return o.initialized && o.desiredReplicas > 0 && o.counts.readyReplicas >= o.desiredReplicas;
}

export function computeClusterStatus(prev: ClusterStatus | undefined, o: ClusterObservation, now = new Date()): ClusterStatus {
  const g = o.generation;
  const at = { observedGeneration: g, now };
  let conds: Condition[] | undefined = prev?.conditions;
  const infra = o.infrastructure;
  conds = withCondition(conds, infra.ready && infra.endpointSet
    ? { type: ClusterConditions.InfrastructureReady, status: 'True' }
    : infra.failure
      ? { type: ClusterConditions.InfrastructureReady, status: 'False', severity: 'Error', reason: infra.failure.reason, message: infra.failure.message }
      : { type: ClusterConditions.InfrastructureReady, status: 'False', reason: 'WaitingForInfrastructure', message: infra.waiting ?? 'waiting for the provider' }, at);
  conds = withCondition(conds, o.certificates.available
    ? { type: ClusterConditions.CertificatesAvailable, status: 'True' }
    : { type: ClusterConditions.CertificatesAvailable, status: 'False', severity: 'Warning', reason: 'CertificatesGenerationFailed', message: o.certificates.message ?? '' }, at);
  conds = withCondition(conds, o.initialized
    ? { type: ClusterConditions.ControlPlaneInitialized, status: 'True' }
    : { type: ClusterConditions.ControlPlaneInitialized, status: 'False', reason: 'WaitingForControlPlaneInit', message: 'the first control-plane machine has not initialised the cluster yet' }, at);
  const cpReady = controlPlaneReady(o);
  conds = withCondition(conds, cpReady
    ? { type: ClusterConditions.ControlPlaneReady, status: 'True' }
    : {
      type: ClusterConditions.ControlPlaneReady, status: 'False', reason: o.desiredReplicas === 0 ? 'NoControlPlane' : 'ScalingUp',
      message: o.controlPlaneMessage ?? `${o.counts.readyReplicas} of ${o.desiredReplicas} control-plane machines are Ready`,
    }, at);
  if (o.versionSkew) {
    conds = withCondition(conds, o.versionSkew.ok
      ? { type: ClusterConditions.VersionSkewOk, status: 'True', reason: 'AsExpected' }
      : { type: ClusterConditions.VersionSkewOk, status: 'False', severity: 'Warning', reason: o.versionSkew.reason, message: o.versionSkew.message }, at);
  }
  // A held version change leaves the cluster serving at the version it runs: it does not make the cluster not Ready.
  const notReady = conds.filter((c) => c.type !== ClusterConditions.Ready && c.type !== ClusterConditions.VersionSkewOk && c.status !== 'True').map((c) => c.type);
  conds = withCondition(conds, o.deleting
    ? { type: ClusterConditions.Ready, status: 'False', reason: 'Deleting', message: 'the cluster is being deleted' }
    : notReady.length === 0
      ? { type: ClusterConditions.Ready, status: 'True' }
      : { type: ClusterConditions.Ready, status: 'False', reason: 'NotReady', message: `not ready: ${notReady.join(', ')}` }, at);
  const status: ClusterStatus = {
    ...(prev ?? {}),
    phase: clusterPhase(o),
    infrastructureReady: infra.ready,
    controlPlaneInitialized: o.initialized,
    controlPlaneReady: cpReady,
    controlPlane: {
      replicas: o.counts.replicas,
      readyReplicas: o.counts.readyReplicas,
      updatedReplicas: o.counts.updatedReplicas,
      ...(o.version ? { version: o.version } : {}),
      summary: `${o.counts.readyReplicas}/${o.desiredReplicas}`,
    },
    conditions: conds,
    ...(g !== undefined ? { observedGeneration: g } : {}),
  };
  if (infra.failure) {
    status.failureReason = infra.failure.reason;
    status.failureMessage = infra.failure.message;
  } else {
    delete status.failureReason;
    delete status.failureMessage;
  }
  return status;
}
