/** join's control-plane-prepare phase: the shared certificates, this member's certificates, kubeconfigs and static Pods. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { describeApiError, isNotFound } from '../../api/client.js';
import { CertificateKeyMismatchError, decryptCerts, SHARED_CERT_FILES, secretKeyForFile } from '../../copycerts.js';
import { certDefinitions, runCertPhase, runSAPhase } from '../../certs.js';
import { kubeconfigDefinitions, runKubeconfigPhase } from '../../kubeconfigs.js';
import { apiServerManifest, controllerManagerManifest, schedulerManifest } from '../../manifests.js';
import { writeManifest } from '../shared.js';
import { bootstrapClient, clusterConfig, cpEndpoint, cpOnly, discover, manifestInput, node, type JoinData } from './data.js';

/** Reads kubeadm-certs with the bootstrap token and writes the shared CAs and keys (copycerts.DownloadCerts). */
async function downloadCerts(d: JoinData): Promise<void> {
  const key = d.cfg.controlPlane?.certificateKey;
  if (!key) {
    d.out.phase('download-certs', 'Skipping: no certificate key given; the shared certificates must already be on this node');
    return;
  }
  const cfg = await clusterConfig(d);
  const info = await discover(d);
  d.out.phase('download-certs', `Downloading the certificates in Secret "${C.KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
  let data: Record<string, string>;
  try {
    const secret = await bootstrapClient(d, info).core.readNamespacedSecret({ name: C.KUBEADM_CERTS_SECRET, namespace: 'kube-system' });
    data = secret.data ?? {};
  } catch (err) {
    if (isNotFound(err)) {
      throw new Error(`download-certs: Secret "${C.KUBEADM_CERTS_SECRET}" was not found in the "kube-system" Namespace. It expires with its proxy token (2h by default); ` +
        'run `clusterd agent phase upload-certs --upload-certs` on a control-plane node to upload the certificates again, and join with the certificate key it prints');
    }
    throw describeApiError(err, `download-certs: reading Secret ${C.KUBEADM_CERTS_SECRET}`);
  }
  let plain: Record<string, Buffer>;
  try {
    plain = decryptCerts(data, key);
  } catch (err) {
    if (err instanceof CertificateKeyMismatchError) {
      throw new Error(`download-certs: ${err.message}. Use the certificate key printed by the upload, or run \`clusterd agent phase upload-certs --upload-certs\` on a control-plane node for a new one`);
    }
    throw err;
  }
  for (const f of SHARED_CERT_FILES) {
    if (f.startsWith('etcd/') && !cfg.etcd.local) continue;
    const content = plain[secretKeyForFile(f)];
    if (content === undefined) throw new Error(`download-certs: the Secret does not include the required certificate or key "${f}"`);
    if (content.length === 0) continue;
    d.fs.write(`${cfg.certificatesDir}/${f}`, content, f.endsWith('.key') ? 0o600 : 0o644);
  }
}

async function prepareCerts(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  const info = await discover(d);
  d.out.phase('certs', `Using certificateDir folder "${cfg.certificatesDir}"`);
  if (!d.fs.exists(`${cfg.certificatesDir}/ca.crt`)) d.fs.write(`${cfg.certificatesDir}/ca.crt`, info.caPem, 0o644);
  const input = { fs: d.fs, out: d.out, cfg, node: node(d) };
  for (const def of certDefinitions(cfg, node(d))) {
    if (!def.ca && !d.fs.exists(`${cfg.certificatesDir}/${def.base}.crt`)) {
      throw new Error(`certs: the shared ${def.name} certificate authority is missing; join with --certificate-key, or copy it from an existing control-plane node`);
    }
    await runCertPhase(input, def);
  }
  if (!d.fs.exists(`${cfg.certificatesDir}/sa.key`)) throw new Error('certs: the shared service-account key sa.key is missing; join with --certificate-key, or copy it from an existing control-plane node');
  await runSAPhase(input);
}

async function prepareKubeconfigs(d: JoinData): Promise<void> {
  const cfg = await clusterConfig(d);
  d.out.phase('kubeconfig', `Using kubeconfig folder "${C.KUBERNETES_DIR}"`);
  for (const def of kubeconfigDefinitions(d.cfg.nodeRegistration.name).filter((k) => k.name !== 'kubelet' && k.name !== 'super-admin')) {
    await runKubeconfigPhase({ fs: d.fs, out: d.out, cfg, local: cpEndpoint(d) }, def);
  }
}

export const controlPlanePreparePhase = (): Phase<JoinData> => ({
  name: 'control-plane-prepare', short: 'Prepare the machine for serving a control plane',
  phases: [
    { name: 'download-certs', short: 'Download certificates shared among control-plane nodes from the kubeadm-certs Secret', run: cpOnly(downloadCerts) },
    { name: 'certs', short: 'Generate the certificates for the new control plane components', run: cpOnly(prepareCerts) },
    { name: 'kubeconfig', short: 'Generate the kubeconfig for the new control plane components', run: cpOnly(prepareKubeconfigs) },
    {
      name: 'control-plane', short: 'Generate the manifests for the new control plane components',
      run: cpOnly(async (d) => {
        const mi = await manifestInput(d);
        d.out.phase('control-plane', `Using manifest folder "${C.MANIFESTS_DIR}"`);
        for (const m of [apiServerManifest(mi), controllerManagerManifest(mi), schedulerManifest(mi)]) writeManifest(d.fs, d.out, 'control-plane', m);
      }),
    },
  ],
});
