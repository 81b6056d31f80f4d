/** init's control-plane phase: the kube-apiserver, kube-controller-manager and kube-scheduler static Pods. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { apiServerManifest, CONTROL_PLANE_COMPONENTS, controllerManagerManifest, schedulerManifest } from '../../manifests.js';
import { writeManifest } from '../shared.js';
import { manifestInput, type InitData } from './data.js';

export const controlPlanePhase = (): Phase<InitData> => ({
  name: 'control-plane', short: 'Generate all static Pod manifest files necessary to establish the control plane',
  run: async (d) => d.out.phase('control-plane', `Using manifest folder "${C.MANIFESTS_DIR}"`),
  phases: CONTROL_PLANE_COMPONENTS.map((c) => ({
    name: c.replace('kube-', ''),
    short: `Generates the ${c} static Pod manifest`,
    run: async (d) => {
      const mi = manifestInput(d);
      writeManifest(d.fs, d.out, 'control-plane', c === 'kube-apiserver' ? apiServerManifest(mi) : c === 'kube-controller-manager' ? controllerManagerManifest(mi) : schedulerManifest(mi));
    },
  })),
});
