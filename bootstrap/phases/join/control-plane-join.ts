/** join's control-plane-join phase: the wait for this member's components, and the control-plane mark (its etcd joined in etcd-join). */
import type { Phase } from '../../workflow.js';
import { apiServerManifest, controllerManagerManifest, schedulerManifest } from '../../manifests.js';
import { controlPlaneHealthChecks, markControlPlane, waitForControlPlaneComponents } from '../shared.js';
import { adminClient, cpEndpoint, cpOnly, discover, manifestInput, type JoinData } from './data.js';

export const controlPlaneJoinPhase = (): Phase<JoinData> => ({
  name: 'control-plane-join', short: 'Join a machine as a control plane instance',
  phases: [
    {
      name: 'wait-control-plane', short: 'Wait for the new control plane instance to start',
      run: cpOnly(async (d) => {
        if (d.dryRun) return d.out.phase('dryrun', 'Would wait for the control plane components to be healthy');
        const mi = await manifestInput(d);
        const checks = controlPlaneHealthChecks([apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)], cpEndpoint(d),
          (await discover(d)).caPem, d.host);
        await waitForControlPlaneComponents(d.out, checks, d.cfg.timeouts.controlPlaneComponentHealthCheck);
      }),
    },
    {
      name: 'mark-control-plane', short: 'Mark a node as a control-plane',
      run: cpOnly(async (d) => d.dryRun ? d.out.phase('dryrun', 'Would label and taint the Node') : markControlPlane(adminClient(d), d.out, d.cfg.nodeRegistration.name, d.cfg.nodeRegistration.taints, d.cfg.timeouts.kubernetesAPICall)),
    },
  ],
});
