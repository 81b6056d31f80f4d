/**
 * The cluster's shared PKI as management-cluster Secrets: the three CAs kubeadm would create on the first
 * control-plane node (kubernetes, etcd-ca, front-proxy-ca) and the service-account key pair. Generating them
 * here, before any machine exists, lets every control-plane member start from the same CAs and lets users
 * bring their own CA by creating the Secret first.
 */
import { newPrivateKeyAsync, newSelfSignedCA, publicKeyPem, type CertAndKey } from '../../lib/pki.js';
import type { Client } from '../../runtime/client.js';
import { ignoreNotFound } from '../../runtime/errors.js';
import type { KubeObject, OwnerReference } from '../../runtime/types.js';
import { SECRET_GVK } from './gvk.js';
import { CLUSTER_SECRET_TYPE, PKI_SECRETS, secretNames, type PkiSecret } from './names.js';

export interface SecretLike {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerReference[]; labels?: Record<string, string>; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

/** The PEM pairs the PKI Secrets hold: bootstrap's one ClusterPKI (for `sa`, certPem is the public key, as sa.pub). */
import type { ClusterPKI } from '../../bootstrap/pki-files.js';
export type { ClusterPKI };


const CA_COMMON_NAMES: Record<Exclude<PkiSecret, 'sa'>, string> = {
  ca: 'kubernetes',
  etcd: 'etcd-ca',
  proxy: 'front-proxy-ca',
};

/** Generates one member of the PKI (keys off the event loop). */
export async function generatePkiMember(which: PkiSecret): Promise<CertAndKey> {
  const keyPem = await newPrivateKeyAsync();
  if (which === 'sa') return { certPem: publicKeyPem(keyPem), keyPem };
  return newSelfSignedCA(CA_COMMON_NAMES[which], { keyPem });
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString('utf8'));

export function pkiSecret(which: PkiSecret, clusterName: string, namespace: string, pair: CertAndKey, owner: OwnerReference): SecretLike {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: secretNames[which](clusterName),
      namespace,
      labels: { 'clusterd.dev/cluster-name': clusterName },
      ownerReferences: [owner],
    },
    type: CLUSTER_SECRET_TYPE,
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem) },
  };
}

/**
 * Reads a PKI Secret, whoever created it. Errors name the Secret and the missing key, never the contents.
 * A user-provided CA Secret may carry only tls.crt (external CA): the key is then empty.
 */
export function readPkiSecret(secret: SecretLike): CertAndKey {
  const name = secret.metadata.name ?? '?';
  const certPem = unb64(secret.data?.['tls.crt']);
  const keyPem = unb64(secret.data?.['tls.key']);
  if (!certPem.includes('-----BEGIN')) throw new Error(`Secret ${name}: data["tls.crt"] is missing or not PEM`);
  if (keyPem && !keyPem.includes('-----BEGIN')) throw new Error(`Secret ${name}: data["tls.key"] is not PEM`);
  return { certPem, keyPem };
}

export function getSecret(c: Client, namespace: string, name: string): Promise<SecretLike | undefined> {
  return ignoreNotFound(c.get<SecretLike & KubeObject>(SECRET_GVK, { namespace, name }));
}

/** Reads the PKI without creating anything (what bootstrap data needs); undefined until all four Secrets exist. */
export async function readClusterPKI(c: Client, namespace: string, clusterName: string): Promise<ClusterPKI | undefined> {
  const out: Partial<ClusterPKI> = {};
  for (const which of PKI_SECRETS) {
    const s = await getSecret(c, namespace, secretNames[which](clusterName));
    if (!s) return undefined;
    out[which] = readPkiSecret(s);
  }
  return out as ClusterPKI;
}
