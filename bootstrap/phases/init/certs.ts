/** init's certs phase: the cluster CAs and every certificate a control plane serves or presents, one sub-phase each. */
import type { InitConfiguration } from '../../config/types.js';
import type { HostFS, Printer } from '../../context.js';
import type { Phase } from '../../workflow.js';
import { certDefinitions, runCertPhase, runSAPhase } from '../../certs.js';
import { node, type InitData } from './data.js';

function certPhases(): Phase<InitData>[] {
  const input = (d: InitData): { fs: HostFS; out: Printer; cfg: InitConfiguration['cluster']; node: { nodeName: string; advertiseAddress: string } } => ({ fs: d.fs, out: d.out, cfg: d.cfg.cluster, node: node(d) });
  const names = ['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'];
  return [
    ...names.map((name): Phase<InitData> => ({
      name,
      short: `Generate the ${name} certificate${name.endsWith('ca') ? ' authority' : ''}`,
      run: async (d) => {
        const def = certDefinitions(d.cfg.cluster, node(d)).find((x) => x.name === name);
        if (!def) {
          d.out.phase('certs', `External etcd mode: Skipping ${name} certificate generation`);
          return;
        }
        await runCertPhase(input(d), def);
      },
    })),
    { name: 'sa', short: 'Generate a private key for signing service account tokens along with its public key', run: (d) => runSAPhase(input(d)) },
  ];
}

export const certsPhase = (): Phase<InitData> => ({
  name: 'certs', short: 'Certificate generation',
  run: async (d) => d.out.phase('certs', `Using certificateDir folder "${d.cfg.cluster.certificatesDir}"`),
  phases: certPhases(),
});
