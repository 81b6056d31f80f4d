/**
 * Where a rollout stands, as a pure function of the object, in the shape of kubectl's rollout status viewer:
 * done, waiting (with the reason and the counts for the progress line), or failed (progress deadline exceeded).
 */
import type { Cluster, MachineDeployment } from '../../api/v1alpha1/index.js';

export interface RolloutCounts {
  desired: number;
  updated: number;
  ready: number;
  available: number;
  /** Machines that exist, old and new. */
  total: number;
}

export type RolloutState =
  | { state: 'done'; counts: RolloutCounts; message: string }
  | { state: 'waiting'; counts: RolloutCounts; message: string }
  | { state: 'paused'; counts: RolloutCounts; message: string }
  | { state: 'failed'; counts: RolloutCounts; message: string };

export function machineDeploymentRollout(md: MachineDeployment): RolloutState {
  const name = md.metadata.name ?? '';
  const st = md.status ?? {};
  const counts: RolloutCounts = {
    desired: md.spec.replicas ?? 1,
    updated: st.updatedReplicas ?? 0,
    ready: st.readyReplicas ?? 0,
    available: st.availableReplicas ?? 0,
    total: st.replicas ?? 0,
  };
  if ((md.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { state: 'waiting', counts, message: 'waiting for the controller to observe the latest spec' };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', counts, message: `machinedeployment "${name}" exceeded its progress deadline: ${progressing.message ?? ''}`.trimEnd() };
  }
  if (md.spec.paused) {
    return { state: 'paused', counts, message: `machinedeployment "${name}" is paused: resume it with \`clusterd rollout resume md ${name}\`` };
  }
  if (counts.updated < counts.desired) {
    return { state: 'waiting', counts, message: `${counts.updated} of ${counts.desired} new machines have been updated` };
  }
  if (counts.total > counts.updated) {
    const old = counts.total - counts.updated;
    return { state: 'waiting', counts, message: `${old} old machine${old === 1 ? ' is' : 's are'} pending termination` };
  }
  if (counts.available < counts.updated || counts.total !== counts.desired) {
    return { state: 'waiting', counts, message: `${counts.available} of ${counts.updated} updated machines are available` };
  }
  return { state: 'done', counts, message: `machinedeployment "${name}" successfully rolled out` };
}

export function controlPlaneRollout(cluster: Cluster): RolloutState {
  const name = cluster.metadata.name ?? '';
  const cp = cluster.status?.controlPlane ?? {};
  const desired = cluster.spec.controlPlane?.replicas ?? 1;
  const counts: RolloutCounts = { desired, updated: cp.updatedReplicas ?? 0, ready: cp.readyReplicas ?? 0, available: cp.readyReplicas ?? 0, total: cp.replicas ?? 0 };
  const version = cluster.spec.controlPlane?.version ?? '';
  if ((cluster.metadata.generation ?? 0) > (cluster.status?.observedGeneration ?? 0)) {
    return { state: 'waiting', counts, message: 'waiting for the controller to observe the latest spec' };
  }
  if (counts.updated < desired) return { state: 'waiting', counts, message: `${counts.updated} of ${desired} control-plane machines are at ${version} with the current template` };
  if (counts.total > counts.updated) {
    const old = counts.total - counts.updated;
    return { state: 'waiting', counts, message: `${old} old control-plane machine${old === 1 ? ' is' : 's are'} pending removal` };
  }
  if (counts.ready !== desired || counts.total !== desired) return { state: 'waiting', counts, message: `${counts.ready} of ${desired} control-plane machines are ready` };
  if (cluster.status?.controlPlane?.version && cluster.status.controlPlane.version !== version) {
    return { state: 'waiting', counts, message: `the control plane reports ${cluster.status.controlPlane.version}, waiting for ${version}` };
  }
  return { state: 'done', counts, message: `control plane of cluster "${name}" successfully rolled out (${version})` };
}

/** The progress line: counts first, then what is awaited. */
export function progressLine(kindName: string, s: RolloutState): string {
  const c = s.counts;
  return `${kindName}: ${c.updated} updated, ${c.ready} ready, ${c.available} available of ${c.desired} desired${s.state === 'done' ? '' : ` - ${s.message}`}`;
}
