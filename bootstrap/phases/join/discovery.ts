/** join's discovery phase: the cluster CA and API server endpoint, from a bootstrap token or a discovery file. */
import type { Phase } from '../../workflow.js';
import { discover, type JoinData } from './data.js';

export const discoveryPhase = (): Phase<JoinData> => ({
  name: 'discovery', short: 'Discover and validate the cluster CA and endpoint',
  run: async (d) => {
    const info = await discover(d);
    d.out.phase('discovery', `Trusting the cluster CA; API server ${info.server}`);
  },
});
