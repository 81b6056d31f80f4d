/** init's upload-certs phase (with --upload-certs): the shared CAs and keys, encrypted, for control planes that join. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { newCertificateKey, SHARED_CERT_FILES, uploadCerts as uploadCertsTo } from '../../copycerts.js';
import { client, writer, type InitData } from './data.js';

/** The shared files from the certificates dir, uploaded under the certificate key (given, or a new one) by copycerts. */
async function uploadCerts(d: InitData): Promise<void> {
  if (!d.uploadCerts) {
    d.out.phase('upload-certs', 'Skipping phase. Please see --upload-certs');
    return;
  }
  d.certificateKey ??= newCertificateKey();
  d.out.phase('upload-certs', `Storing the certificates in Secret "${C.KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
  const w = await writer(d);
  const dir = d.cfg.cluster.certificatesDir;
  const files: Record<string, string> = {};
  for (const f of SHARED_CERT_FILES) {
    if (f.startsWith('etcd/') && !d.cfg.cluster.etcd.local) continue;
    // kubeadm stores an empty value for a file that is not on disk (external CA without its key)
    files[f] = d.fs.readIfExists(`${dir}/${f}`) ?? '';
  }
  await uploadCertsTo({
    async createOwner(tokenSecret) {
      await w.apply(tokenSecret);
      if (d.dryRun) return '<uid of the proxy token Secret>';
      const got = await (await client(d)).core.readNamespacedSecret({ name: tokenSecret.metadata.name, namespace: 'kube-system' });
      const uid = got.metadata?.uid ?? '';
      if (!uid) throw new Error('upload-certs: the proxy token Secret has no uid; cannot make it the owner of kubeadm-certs');
      return uid;
    },
    apply: (o) => w.apply(o),
  }, { files, certificateKey: d.certificateKey, ttlSeconds: d.certificateTokenTTLSeconds });
  d.out.phase('upload-certs', 'Using certificate key:');
  d.out.line(d.certificateKey);
}

export const uploadCertsPhase = (): Phase<InitData> => ({ name: 'upload-certs', short: 'Upload certificates to kubeadm-certs', run: uploadCerts });
