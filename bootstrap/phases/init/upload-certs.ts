/** init's upload-certs phase (with --upload-certs): the shared CAs and keys, encrypted, for control planes that join. */
import * as C from '../../constants.js';
import type { Phase } from '../../workflow.js';
import { kubeadmCertsRBAC } from '../../api/objects.js';
import { bootstrapTokenSecret, newBootstrapToken, parseBootstrapToken, bootstrapTokenSecretName } from '../../tokens.js';
import { encryptCerts, newCertificateKey, SHARED_CERT_FILES } from '../../copycerts.js';
import { client, writer, type InitData } from './data.js';

/** The proxy token owning kubeadm-certs, then the encrypted Secret and its RBAC (copycerts.UploadCerts). */
async function uploadCerts(d: InitData): Promise<void> {
  if (!d.uploadCerts) {
    d.out.phase('upload-certs', 'Skipping phase. Please see --upload-certs');
    return;
  }
  d.certificateKey ??= newCertificateKey();
  d.out.phase('upload-certs', `Storing the certificates in Secret "${C.KUBEADM_CERTS_SECRET}" in the "kube-system" Namespace`);
  const proxy = newBootstrapToken();
  const { id } = parseBootstrapToken(proxy);
  const tokenSecret = bootstrapTokenSecret(proxy, { description: 'Proxy for managing TTL for the kubeadm-certs secret', ttlSeconds: d.certificateTokenTTLSeconds, usages: [], groups: [] });
  const w = await writer(d);
  await w.apply(tokenSecret);
  let uid = '<uid of the proxy token Secret>';
  if (!d.dryRun) {
    const got = await (await client(d)).core.readNamespacedSecret({ name: bootstrapTokenSecretName(id), namespace: 'kube-system' });
    uid = got.metadata?.uid ?? '';
    if (!uid) throw new Error('upload-certs: the proxy token Secret has no uid; cannot make it the owner of kubeadm-certs');
  }
  const dir = d.cfg.cluster.certificatesDir;
  const files: Record<string, string> = {};
  for (const f of SHARED_CERT_FILES) {
    if (f.startsWith('etcd/') && !d.cfg.cluster.etcd.local) continue;
    // kubeadm stores an empty value for a file that is not on disk (external CA without its key)
    files[f] = d.fs.readIfExists(`${dir}/${f}`) ?? '';
  }
  const data = encryptCerts(Object.fromEntries(Object.entries(files).filter(([, v]) => v !== '')), d.certificateKey);
  for (const [f, v] of Object.entries(files)) if (v === '') data[f.replaceAll('/', '-')] = '';
  await w.apply({
    kind: 'Secret', apiVersion: 'v1', type: 'Opaque',
    metadata: {
      name: C.KUBEADM_CERTS_SECRET, namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: bootstrapTokenSecretName(id), uid, controller: true, blockOwnerDeletion: true }],
    },
    data,
  });
  for (const o of kubeadmCertsRBAC()) await w.apply(o);
  d.out.phase('upload-certs', 'Using certificate key:');
  d.out.line(d.certificateKey);
}

export const uploadCertsPhase = (): Phase<InitData> => ({ name: 'upload-certs', short: 'Upload certificates to kubeadm-certs', run: uploadCerts });
