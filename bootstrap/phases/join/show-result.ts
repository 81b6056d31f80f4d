/** join's show-result phase: what joined. */
import type { Phase } from '../../workflow.js';
import { isControlPlane, type JoinData } from './data.js';

export const showResultPhase = (): Phase<JoinData> => ({
  name: 'show-result', short: 'Report what joined',
  run: async (d) => {
    d.out.line('');
    d.out.line(isControlPlane(d)
      ? 'This node has joined the cluster and a new control plane instance was created!'
      : 'This node has joined the cluster: the certificate signing request was approved and the kubelet has its credentials.');
  },
});
