/** init's show-join-command phase: how to use the cluster and join more nodes to it. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { formatDuration } from '../../config/schema.js';
import { caCertHash } from '../../../lib/pki.js';
import type { InitData } from './data.js';

function showJoinCommand(d: InitData): void {
  const caPem = d.fs.read(`${d.cfg.cluster.certificatesDir}/ca.crt`);
  const endpoint = d.cfg.cluster.controlPlaneEndpoint || `${d.cfg.localAPIEndpoint.advertiseAddress}:${d.cfg.localAPIEndpoint.bindPort}`;
  const token = d.cfg.bootstrapTokens.find((t) => t.usages.includes('authentication'))?.token ?? d.cfg.bootstrapTokens[0]!.token;
  const base = `clusterd agent join ${endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${caCertHash(caPem)}`;
  d.out.line('');
  d.out.line('Your Kubernetes control-plane has initialized successfully!');
  d.out.line('');
  d.out.line(`To start using your cluster, use ${C.KUBERNETES_DIR}/${C.ADMIN_CONF} as your kubeconfig.`);
  d.out.line('');
  if (d.cfg.cluster.controlPlaneEndpoint) {
    if (d.certificateKey) {
      d.out.line('You can now join any number of control-plane nodes running the following command on each as root:');
      d.out.line('');
      d.out.line(`  ${base} \\\n\t--control-plane --certificate-key ${d.certificateKey}`);
      d.out.line('');
      d.out.line(`Please note that the certificate-key gives access to cluster sensitive data, keep it secret! As a safeguard, uploaded-certs will be deleted in ${formatDuration(d.certificateTokenTTLSeconds * 1000)}; use "clusterd agent init phase upload-certs --upload-certs" to reload certs afterward.`);
      d.out.line('');
    } else {
      d.out.line('You can join control-plane nodes by copying the certificate authorities and service account keys to each node and then running:');
      d.out.line('');
      d.out.line(`  ${base} \\\n\t--control-plane`);
      d.out.line('');
    }
  }
  d.out.line('Then you can join any number of worker nodes by running the following on each as root:');
  d.out.line('');
  d.out.line(`  ${base}`);
}

export const showJoinCommandPhase = (): Phase<InitData> => ({ name: 'show-join-command', short: 'Show the join command for control-plane and worker node', run: async (d) => showJoinCommand(d) });
