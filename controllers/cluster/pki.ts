/**
 * The cluster's shared PKI as management-cluster Secrets: the three CAs kubeadm would create on the first
 * control-plane node (kubernetes, etcd-ca, front-proxy-ca) and the service-account key pair. Generating them
 * here, before any machine exists, lets every control-plane member start from the same CAs and lets users
 * bring their own CA by creating the Secret first.
 */
import { newPrivateKeyAsync, newSelfSignedCA, publicKeyPem, type CertAndKey } from '../../lib/pki.js';
import { CLUSTER_SECRET_TYPE, secretNames, type PkiSecret } from './names.js';
import type { OwnerReference } from '../../lib/kube.js';

export interface SecretLike {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerRef[]; labels?: Record<string, string>; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

export type OwnerRef = OwnerReference;

/** The PEM pairs the PKI Secrets hold: bootstrap's one ClusterPKI (for `sa`, certPem is the public key, as sa.pub). */
export type { ClusterPKI } from '../../bootstrap/pki-files.js';

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

export function pkiSecret(which: PkiSecret, clusterName: string, namespace: string, pair: CertAndKey, owner: OwnerRef): SecretLike {
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

/** An owner reference to a Cluster, as the controller of what it owns. */
export function clusterOwnerRef(cluster: { apiVersion?: string; kind?: string; metadata: { name?: string; uid?: string } }, controller = true): OwnerRef {
  return {
    apiVersion: cluster.apiVersion ?? 'clusterd.dev/v1alpha1',
    kind: cluster.kind ?? 'Cluster',
    name: cluster.metadata.name ?? '',
    uid: cluster.metadata.uid ?? '',
    ...(controller ? { controller: true, blockOwnerDeletion: true } : {}),
  };
}

/**
 * The owner references an adopted Secret should have: the Cluster added as a (non-controller) owner. As in
 * Cluster API, an adopted Secret then belongs to the Cluster and is garbage-collected with it; its contents
 * are never rewritten. Undefined when nothing needs to change.
 */
export function adoptedOwnerRefs(secret: SecretLike, owner: OwnerRef): OwnerRef[] | undefined {
  const refs = secret.metadata.ownerReferences ?? [];
  if (refs.some((r) => r.uid === owner.uid)) return undefined;
  return [...refs, { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid }];
}

/** True when the Cluster created (controls) this Secret, so it may also delete it. */
export function isControlledBy(obj: { metadata: { ownerReferences?: OwnerRef[] } }, uid: string | undefined): boolean {
  return !!uid && (obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller === true);
}
