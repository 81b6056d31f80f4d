/** init's wait-control-plane phase: every control-plane component's health endpoint, as WaitForAllControlPlaneComponents. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { apiServerManifest, controllerManagerManifest, schedulerManifest } from '../../manifests.js';
import { controlPlaneHealthChecks, waitForControlPlaneComponents } from '../shared.js';
import { manifestInput, type InitData } from './data.js';

export const waitControlPlanePhase = (): Phase<InitData> => ({
  name: 'wait-control-plane', short: 'Wait for the control plane to start',
  run: async (d) => {
    if (d.dryRun) return d.out.phase('dryrun', 'Would wait for the control plane components to be healthy');
    d.out.phase('wait-control-plane', `Waiting for the kubelet to boot up the control plane as static Pods from directory "${C.MANIFESTS_DIR}"`);
    const mi = manifestInput(d);
    const checks = controlPlaneHealthChecks([apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)], d.cfg.localAPIEndpoint,
      d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`), d.host);
    await waitForControlPlaneComponents(d.out, checks, d.cfg.timeouts.controlPlaneComponentHealthCheck);
  },
});
