import type { CertAndKey } from '../lib/pki.js';

/**
 * A cluster's shared key material, the one shape for the agent, the cloud-init renderer and the management side: the
 * three CAs kubeadm creates on the first control plane and the service-account key pair, keyed as Cluster API names
 * their Secrets (`<cluster>-ca`, `-etcd`, `-proxy`, `-sa`). For `sa`, certPem is the public key (PKIX PEM), as sa.pub.
 */
export interface ClusterPKI {
  ca: CertAndKey;
  etcd: CertAndKey;
  proxy: CertAndKey;
  sa: CertAndKey;
}

/** The shared key material, as files relative to the certificates dir with kubeadm's names. */
export function clusterPKIFiles(pki: ClusterPKI): Record<string, string> {
  return {
    'ca.crt': pki.ca.certPem, 'ca.key': pki.ca.keyPem,
    'front-proxy-ca.crt': pki.proxy.certPem, 'front-proxy-ca.key': pki.proxy.keyPem,
    'etcd/ca.crt': pki.etcd.certPem, 'etcd/ca.key': pki.etcd.keyPem,
    'sa.key': pki.sa.keyPem, 'sa.pub': pki.sa.certPem,
  };
}
