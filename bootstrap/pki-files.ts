import type { CertAndKey } from '../lib/pki.js';

/** The shared key material, as files relative to the certificates dir with kubeadm's names. */
export function clusterPKIFiles(pki: { ca: CertAndKey; frontProxyCA: CertAndKey; etcdCA: CertAndKey; sa: { keyPem: string; publicKeyPem: string } }): Record<string, string> {
  return {
    'ca.crt': pki.ca.certPem, 'ca.key': pki.ca.keyPem,
    'front-proxy-ca.crt': pki.frontProxyCA.certPem, 'front-proxy-ca.key': pki.frontProxyCA.keyPem,
    'etcd/ca.crt': pki.etcdCA.certPem, 'etcd/ca.key': pki.etcdCA.keyPem,
    'sa.key': pki.sa.keyPem, 'sa.pub': pki.sa.publicKeyPem,
  };
}
