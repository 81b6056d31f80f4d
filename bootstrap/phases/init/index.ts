/**
 * `clusterd agent init`: kubeadm init's workflow, phase by phase. Each phase lives in its own file, named after it, as a
 * thin adapter over bootstrap/'s certs, kubeconfigs, manifests, tokens and copycerts (kubeadm's cmd/phases/init over
 * app/phases); the order here is the order they run and the order `clusterd agent init phase --help` lists them.
 */
import { Workflow } from '../../workflow.js';
import { addonPhase } from './addon.js';
import { bootstrapTokenPhase } from './bootstrap-token.js';
import { certsPhase } from './certs.js';
import { controlPlanePhase } from './control-plane.js';
import type { InitData } from './data.js';
import { etcdPhase } from './etcd.js';
import { kubeconfigPhase } from './kubeconfig.js';
import { kubeletStartPhase } from './kubelet-start.js';
import { markControlPlanePhase } from './mark-control-plane.js';
import { preflightPhase } from './preflight.js';
import { showJoinCommandPhase } from './show-join-command.js';
import { uploadCertsPhase } from './upload-certs.js';
import { uploadConfigPhase } from './upload-config.js';
import { waitControlPlanePhase } from './wait-control-plane.js';

export type { InitData } from './data.js';

export function initWorkflow(): Workflow<InitData> {
  return new Workflow<InitData>('init', [
    preflightPhase(), certsPhase(), kubeconfigPhase(), etcdPhase(), controlPlanePhase(), kubeletStartPhase(), waitControlPlanePhase(),
    uploadConfigPhase(), uploadCertsPhase(), markControlPlanePhase(), bootstrapTokenPhase(), addonPhase(), showJoinCommandPhase(),
  ]);
}
