/** init's mark-control-plane phase: the control-plane label and taints on this Node. */
import type { Phase } from '../../workflow.js';
import { markControlPlane } from '../shared.js';
import { client, type InitData } from './data.js';

export const markControlPlanePhase = (): Phase<InitData> => ({
  name: 'mark-control-plane', short: 'Mark a node as a control-plane',
  run: async (d) => {
    if (d.dryRun) return d.out.phase('dryrun', `Would label and taint Node ${d.cfg.nodeRegistration.name}`);
    await markControlPlane(await client(d), d.out, d.cfg.nodeRegistration.name, d.cfg.nodeRegistration.taints, d.cfg.timeouts.kubernetesAPICall);
  },
});
