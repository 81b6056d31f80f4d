/**
 * The management side's `<cluster>-kubeconfig`, as Cluster API's util/kubeconfig writes it: CN kubernetes-admin in
 * system:masters, user `<cluster>-admin`, context `<cluster>-admin@<cluster>`. It stays in system:masters (unlike kubeadm's
 * admin.conf since 1.29, which is in kubeadm:cluster-admins) because the controllers need it before init has created
 * any ClusterRoleBinding, and it never leaves the management cluster.
 */
import { X509Certificate } from 'node:crypto';
import { kubeconfigYaml } from '../../lib/kubeconfig.js';
import { signCert, verifyIssuedBy, type CertAndKey } from '../../lib/pki.js';

export const ADMIN_USER = 'kubernetes-admin';
const MASTERS = 'system:masters';

export function endpointURL(ep: { host: string; port: number }): string {
  const host = ep.host.includes(':') ? `[${ep.host}]` : ep.host;
  return `https://${host}:${ep.port}`;
}

/** A fresh admin kubeconfig (YAML) for the cluster. Needs the CA key. */
export function adminKubeconfig(clusterName: string, endpoint: { host: string; port: number }, ca: CertAndKey): string {
  if (!ca.keyPem) throw new Error(`cluster ${clusterName}: the CA Secret has no tls.key, so clusterd cannot issue the admin kubeconfig`);
  const admin = signCert({ commonName: ADMIN_USER, organization: [MASTERS], usages: ['client'] }, ca);
  return kubeconfigYaml({
    clusterName,
    server: endpointURL(endpoint),
    caPem: ca.certPem,
    userName: `${clusterName}-admin`,
    contextName: `${clusterName}-admin@${clusterName}`,
    clientCertPem: admin.certPem,
    clientKeyPem: admin.keyPem,
  });
}

/**
 * Whether an existing admin kubeconfig can stay: same server, same CA, and a client certificate from that
 * CA with at least renewBeforeMs of life left.
 */
export function adminKubeconfigCurrent(
  parsed: { server: string; caPem?: string; clientCertPem?: string },
  endpoint: { host: string; port: number },
  caPem: string,
  now = new Date(),
  renewBeforeMs = 30 * 24 * 3600 * 1000,
): boolean {
  if (parsed.server !== endpointURL(endpoint)) return false;
  if (!parsed.caPem || parsed.caPem.trim() !== caPem.trim()) return false;
  if (!parsed.clientCertPem) return false;
  try {
    if (!verifyIssuedBy(parsed.clientCertPem, caPem, now)) return false;
    return new Date(new X509Certificate(parsed.clientCertPem).validTo).getTime() - now.getTime() > renewBeforeMs;
  } catch {
    return false;
  }
}
