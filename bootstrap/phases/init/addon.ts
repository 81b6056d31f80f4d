/** init's addon phase: CoreDNS and kube-proxy, unless the ClusterConfiguration disables them. */
import type { Phase } from '../../workflow.js';
import { controlPlaneURL } from '../../kubeconfigs.js';
import { NotServedError } from '../../api/client.js';
import { coreDNSObjects, kubeProxyObjects } from '../../api/addons.js';
import { writer, type InitData } from './data.js';

async function addon(d: InitData, which: 'coredns' | 'kube-proxy'): Promise<void> {
  const cfg = d.cfg.cluster;
  if ((which === 'coredns' && cfg.dns.disabled) || (which === 'kube-proxy' && cfg.proxy.disabled)) {
    d.out.phase('addons', `Skipping ${which}: disabled in the ClusterConfiguration`);
    return;
  }
  const objs = which === 'coredns' ? coreDNSObjects(cfg) : kubeProxyObjects(cfg, controlPlaneURL(cfg, d.cfg.localAPIEndpoint));
  const w = await writer(d);
  for (const o of objs) {
    try {
      await w.apply(o);
    } catch (err) {
      if (!(err instanceof NotServedError)) throw err;
      d.out.phase('addons', `Skipped ${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}: ${err.message}`);
    }
  }
  d.out.phase('addons', `Applied essential addon: ${which === 'coredns' ? 'CoreDNS' : 'kube-proxy'}`);
}

export const addonPhase = (): Phase<InitData> => ({
  name: 'addon', short: 'Install required addons for passing conformance tests',
  phases: [
    { name: 'coredns', short: 'Install the CoreDNS addon to a Kubernetes cluster', run: (d) => addon(d, 'coredns') },
    { name: 'kube-proxy', short: 'Install the kube-proxy addon to a Kubernetes cluster', run: (d) => addon(d, 'kube-proxy') },
  ],
});
