/** The Cluster controller's management-side Secrets: shared PKI, admin kubeconfig, certificate key. */
import { newCertificateKey } from '../../bootstrap/copycerts.js';
import { parseKubeconfig } from '../../lib/kubeconfig.js';
import type { Client } from '../../runtime/client.js';
import { isAlreadyExists, isNotFound } from '../../runtime/errors.js';
import { isControlledBy, withOwnerReference } from '../../runtime/meta.js';
import type { KubeObject } from '../../runtime/types.js';
import type { Cluster } from '../../api/v1alpha1/index.js';
import { SECRET_GVK } from '../shared/gvk.js';
import { CLUSTER_SECRET_TYPE, PKI_SECRETS, secretNames, type PkiSecret } from '../shared/names.js';
import { clusterOwnerRef } from '../shared/owner.js';
import { generatePkiMember, getSecret, pkiSecret, readPkiSecret, type ClusterPKI, type SecretLike } from '../shared/pki.js';
import { adminKubeconfig, adminKubeconfigCurrent } from './kubeconfig.js';

export interface PkiResult {
  pki: ClusterPKI;
  generated: PkiSecret[];
  adopted: PkiSecret[];
}

/**
 * Makes sure the four PKI Secrets exist: generates what is missing (create, so a concurrent writer or a user's
 * own Secret wins and is then read back), adopts what someone else created, never overwrites.
 */
export async function ensureClusterPKI(c: Client, cluster: Cluster): Promise<PkiResult> {
  const ns = cluster.metadata.namespace ?? 'default';
  const name = cluster.metadata.name!;
  const owner = clusterOwnerRef(cluster);
  const out: Partial<ClusterPKI> = {};
  const generated: PkiSecret[] = [];
  const adopted: PkiSecret[] = [];
  for (const which of PKI_SECRETS) {
    let s = await getSecret(c, ns, secretNames[which](name));
    if (!s) {
      const pair = await generatePkiMember(which);
      try {
        s = await c.create<SecretLike & KubeObject>(pkiSecret(which, name, ns, pair, owner) as SecretLike & KubeObject);
        generated.push(which);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        s = await getSecret(c, ns, secretNames[which](name));
        if (!s) throw err;
      }
    } else {
      const refs = withOwnerReference(s, owner);
      if (refs) {
        await c.patch({ ...SECRET_GVK, metadata: { name: s.metadata.name, namespace: ns } }, { metadata: { ownerReferences: refs } });
        adopted.push(which);
      }
    }
    out[which] = readPkiSecret(s);
  }
  return { pki: out as ClusterPKI, generated, adopted };
}

/**
 * Writes `<cluster>-kubeconfig` (key `value`) unless a current one exists. A kubeconfig Secret the Cluster
 * does not control (a user's) is left alone. Returns true when it wrote.
 */
export async function ensureAdminKubeconfig(c: Client, cluster: Cluster, pki: ClusterPKI, endpoint: { host: string; port: number }): Promise<boolean> {
  const ns = cluster.metadata.namespace ?? 'default';
  const name = secretNames.kubeconfig(cluster.metadata.name!);
  const existing = await getSecret(c, ns, name);
  if (existing) {
    if (!isControlledBy(existing, cluster.metadata.uid)) return false;
    const text = existing.data?.value ? Buffer.from(existing.data.value, 'base64').toString('utf8') : '';
    try {
      if (text && adminKubeconfigCurrent(parseKubeconfig(text), endpoint, pki.ca.certPem)) return false;
    } catch {
      // unreadable: replace it
    }
  }
  const value = Buffer.from(adminKubeconfig(cluster.metadata.name!, endpoint, pki.ca)).toString('base64');
  if (existing) {
    await c.patch({ ...SECRET_GVK, metadata: { name, namespace: ns } }, { data: { value } });
    return true;
  }
  try {
    await c.create({
      ...SECRET_GVK,
      metadata: { name, namespace: ns, labels: { 'clusterd.dev/cluster-name': cluster.metadata.name! }, ownerReferences: [clusterOwnerRef(cluster)] },
      type: CLUSTER_SECRET_TYPE,
      data: { value },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return true;
}

/** `<cluster>-certificate-key`: generated once; rotated only by ensureKubeadmCerts. */
export async function ensureCertificateKey(c: Client, cluster: Cluster): Promise<string> {
  const ns = cluster.metadata.namespace ?? 'default';
  const name = secretNames.certificateKey(cluster.metadata.name!);
  const existing = await getSecret(c, ns, name);
  const cur = existing?.data?.value ? Buffer.from(existing.data.value, 'base64').toString('utf8') : '';
  if (cur) return cur;
  const key = newCertificateKey();
  try {
    await c.create({
      ...SECRET_GVK,
      metadata: { name, namespace: ns, labels: { 'clusterd.dev/cluster-name': cluster.metadata.name! }, ownerReferences: [clusterOwnerRef(cluster)] },
      type: CLUSTER_SECRET_TYPE,
      data: { value: Buffer.from(key).toString('base64') },
    });
    return key;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const again = await getSecret(c, ns, name);
    return again?.data?.value ? Buffer.from(again.data.value, 'base64').toString('utf8') : key;
  }
}

/** Deletes the Secrets the Cluster controls (not adopted ones) before the finalizer goes. */
export async function deleteOwnedSecrets(c: Client, cluster: Cluster): Promise<void> {
  const ns = cluster.metadata.namespace ?? 'default';
  const n = cluster.metadata.name!;
  const names = [...PKI_SECRETS.map((w) => secretNames[w](n)), secretNames.kubeconfig(n), secretNames.certificateKey(n)];
  for (const name of names) {
    const s = await getSecret(c, ns, name);
    if (s && isControlledBy(s, cluster.metadata.uid)) {
      try {
        await c.delete({ ...SECRET_GVK, metadata: { name, namespace: ns } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
