/** init's kubeconfig phase: admin, super-admin, kubelet, controller-manager and scheduler kubeconfigs, one sub-phase each. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { kubeconfigDefinitions, runKubeconfigPhase } from '../../kubeconfigs.js';
import type { InitData } from './data.js';

function kubeconfigPhases(): Phase<InitData>[] {
  return ['admin', 'super-admin', 'kubelet', 'controller-manager', 'scheduler'].map((name) => ({
    name,
    short: `Generate the kubeconfig file for ${name}`,
    run: async (d) => {
      const def = kubeconfigDefinitions(d.cfg.nodeRegistration.name).find((k) => k.name === name)!;
      await runKubeconfigPhase({ fs: d.fs, out: d.out, cfg: d.cfg.cluster, local: d.cfg.localAPIEndpoint }, def);
    },
  }));
}

export const kubeconfigPhase = (): Phase<InitData> => ({
  name: 'kubeconfig', short: 'Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file',
  run: async (d) => d.out.phase('kubeconfig', `Using kubeconfig folder "${C.KUBERNETES_DIR}"`),
  phases: kubeconfigPhases(),
});
