/**
 * `clusterd agent join`: kubeadm join's workflow, for workers and (with --control-plane) control-plane nodes. Each phase
 * lives in its own file, named after it (kubeadm's cmd/phases/join); the order here is the order they run.
 */
import { Workflow } from '../../workflow.js';
import { controlPlaneJoinPhase } from './control-plane-join.js';
import { controlPlanePreparePhase } from './control-plane-prepare.js';
import type { JoinData } from './data.js';
import { discoveryPhase } from './discovery.js';
import { etcdJoinPhase } from './etcd-join.js';
import { kubeletStartPhase, kubeletWaitBootstrapPhase } from './kubelet-start.js';
import { preflightPhase } from './preflight.js';
import { showResultPhase } from './show-result.js';

export type { JoinData } from './data.js';

export function joinWorkflow(): Workflow<JoinData> {
  return new Workflow<JoinData>('join', [
    // kubeadm 1.35+'s order (ControlPlaneKubeletLocalMode): the etcd member joins before the kubelet's TLS bootstrap
    preflightPhase(), discoveryPhase(), controlPlanePreparePhase(), kubeletStartPhase(), etcdJoinPhase(), kubeletWaitBootstrapPhase(),
    controlPlaneJoinPhase(), showResultPhase(),
  ]);
}
