/**
 * `clusterd agent join`: kubeadm join's workflow, for workers and (with --control-plane) control-plane nodes. Each phase
 * lives in its own file, named after it (kubeadm's cmd/phases/join); the order here is the order they run.
 */
import { Workflow } from '../../workflow.js';
import { controlPlaneJoinPhase } from './control-plane-join.js';
import { controlPlanePreparePhase } from './control-plane-prepare.js';
import type { JoinData } from './data.js';
import { discoveryPhase } from './discovery.js';
import { kubeletStartPhase } from './kubelet-start.js';
import { preflightPhase } from './preflight.js';
import { showResultPhase } from './show-result.js';

export type { JoinData } from './data.js';

export function joinWorkflow(): Workflow<JoinData> {
  return new Workflow<JoinData>('join', [
    preflightPhase(), discoveryPhase(), controlPlanePreparePhase(), kubeletStartPhase(), controlPlaneJoinPhase(), showResultPhase(),
  ]);
}
