/**
 * clusterd's bootstrap: kubeadm's init and join re-implemented, delivered as cloud-init.
 *
 * Public API:
 * - runAgent(argv, io, opts?) → Promise<exit code>: `clusterd agent <argv>` in-process (e.g. ['init', '--config', f,
 *   '--root', dir]). State is per call; every host path is under --root. agentCommand() is the CLI wrapper.
 * - generateClusterPKI() → ClusterPKI { ca, etcd, proxy, sa: CertAndKey }: the shared CAs and the service-account key pair
 *   a cluster's control planes share (sa.certPem is the public key); clusterPKIFiles(pki) maps them to kubeadm's file names.
 * - newBootstrapToken(), parseBootstrapToken(t), bootstrapTokenSecret(token, opts): tokens and their kube-system Secret.
 * - computeJWS(content, tokenId, tokenSecret), verifyJWS(...): cluster-info's detached JWS, byte-identical to cluster-bootstrap.
 * - newCertificateKey(), encryptCerts(files, key), decryptCerts(secretData, key): the kubeadm-certs Secret format.
 * - caCertHash(caPem) lives in lib/pki.ts.
 * - renderCloudInit(input), parseCloudConfig(text), userDataSizeReport(...): see bootstrap/cloudinit/.
 */
import { CA_VALIDITY_DAYS, newPrivateKeyAsync, newSelfSignedCA, publicKeyPem } from '../lib/pki.js';
import type { ClusterPKI } from './pki-files.js';

export { runAgent, type RunAgentOptions } from './agent.js';
export { detectHost, type HostFacts } from './host.js';
export { agentCommand } from './cli.js';
export type { AgentIO } from './context.js';
export { newBootstrapToken, parseBootstrapToken, bootstrapTokenSecret, bootstrapTokenSecretName, computeJWS, verifyJWS, type SecretObject } from './tokens.js';
export { newCertificateKey, encryptCerts, decryptCerts, encryptBytes, decryptBytes, SHARED_CERT_FILES } from './copycerts.js';
export { caCertHash } from '../lib/pki.js';
export * as constants from './constants.js';

/** The cluster-wide key material, with kubeadm's CA names (kubernetes, front-proxy-ca, etcd-ca) and 10-year validity. */
export async function generateClusterPKI(): Promise<ClusterPKI> {
  const [caKey, fpKey, etcdKey, saKey] = await Promise.all([newPrivateKeyAsync(), newPrivateKeyAsync(), newPrivateKeyAsync(), newPrivateKeyAsync()]);
  return {
    ca: newSelfSignedCA('kubernetes', { keyPem: caKey, validityDays: CA_VALIDITY_DAYS }),
    etcd: newSelfSignedCA('etcd-ca', { keyPem: etcdKey, validityDays: CA_VALIDITY_DAYS }),
    proxy: newSelfSignedCA('front-proxy-ca', { keyPem: fpKey, validityDays: CA_VALIDITY_DAYS }),
    sa: { certPem: publicKeyPem(saKey), keyPem: saKey },
  };
}

export { clusterPKIFiles, type ClusterPKI } from './pki-files.js';
export { renderCloudInit, parseCloudConfig, userDataSizeReport, kubeadmConfigFor, USER_DATA_LIMIT, type CloudInitInput, type ParsedCloudConfig } from './cloudinit/index.js';
