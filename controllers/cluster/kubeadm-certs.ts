/**
 * Keeps the workload cluster's kube-system/kubeadm-certs Secret usable for control-plane joins. kubeadm's
 * upload-certs ties that Secret to a 2-hour proxy bootstrap token, so a member joining later (a scale up
 * or a rolling upgrade days after init) would find it gone. Before such a join the controller checks it
 * and, if missing or about to expire, uploads the shared certificates again under the certificate key it holds;
 * a Secret encrypted under a key it does not know gets a fresh key, recorded in `<cluster>-certificate-key`
 * before anyone uses it.
 */
import type { Client } from '../../runtime/client.js';
import { isAlreadyExists, isNotFound } from '../../runtime/errors.js';
import type { KubeObject } from '../../runtime/types.js';
import { decryptCerts, newCertificateKey, uploadCerts as uploadKubeadmCerts } from '../../bootstrap/copycerts.js';
import { clusterPKIFiles } from '../../bootstrap/pki-files.js';
import { bootstrapTokenSecret, bootstrapTokenSecretName, newBootstrapToken, parseBootstrapToken } from '../../bootstrap/tokens.js';
import { DEFAULT_CERT_TOKEN_TTL_SECONDS, KUBEADM_CERTS_SECRET, NODE_BOOTSTRAP_TOKEN_AUTH_GROUP } from '../../bootstrap/constants.js';
import { secretNames } from './names.js';
import type { ClusterPKI } from './pki.js';
import { CLUSTER_SECRET_TYPE } from './names.js';

const SECRET = { apiVersion: 'v1', kind: 'Secret' };
/** Re-upload when less than this is left, so a join that starts now finishes before the Secret goes. */
export const KUBEADM_CERTS_MIN_REMAINING_MS = 20 * 60 * 1000;

interface SecretObj extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

export interface CertificateKeyStore {
  /** The current certificate key, or undefined. */
  read(): Promise<string | undefined>;
  write(key: string): Promise<void>;
}

/** `<cluster>-certificate-key` in the management cluster (key `value`), owned by the Cluster. */
export function certificateKeySecretStore(mgmt: Client, namespace: string, clusterName: string, owner: KubeObject['metadata']['ownerReferences']): CertificateKeyStore {
  const name = secretNames.certificateKey(clusterName);
  return {
    async read() {
      try {
        const s = await mgmt.get<SecretObj>(SECRET, { namespace, name });
        return unb64(s.data?.value) || undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async write(key) {
      const data = { value: Buffer.from(key).toString('base64') };
      try {
        await mgmt.create({ ...SECRET, metadata: { name, namespace, ownerReferences: owner, labels: { 'clusterd.dev/cluster-name': clusterName } }, type: CLUSTER_SECRET_TYPE, data });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        await mgmt.patch({ ...SECRET, metadata: { name, namespace } }, { data });
      }
    },
  };
}

export type KubeadmCertsState = 'valid' | 'missing' | 'expiring' | 'wrong-key';

/** Checks the workload cluster's kubeadm-certs against the certificate key and the clock. */
export async function kubeadmCertsState(workload: Client, certificateKey: string | undefined, now: Date): Promise<KubeadmCertsState> {
  let secret: SecretObj;
  try {
    secret = await workload.get<SecretObj>(SECRET, { namespace: 'kube-system', name: KUBEADM_CERTS_SECRET });
  } catch (err) {
    if (isNotFound(err)) return 'missing';
    throw err;
  }
  if (!certificateKey) return 'wrong-key';
  try {
    decryptCerts({ 'ca.crt': secret.data?.['ca.crt'] ?? '' }, certificateKey);
    if (!secret.data?.['ca.crt']) return 'missing';
  } catch {
    return 'wrong-key';
  }
  const owner = secret.metadata.ownerReferences?.find((r) => r.kind === 'Secret' && r.name.startsWith('bootstrap-token-'));
  if (!owner) return 'valid'; // kubeadm --skip-certificate-key-print style: no TTL proxy, never expires
  try {
    const token = await workload.get<SecretObj>(SECRET, { namespace: 'kube-system', name: owner.name });
    const exp = unb64(token.data?.expiration);
    if (exp && Date.parse(exp) - now.getTime() < KUBEADM_CERTS_MIN_REMAINING_MS) return 'expiring';
    return 'valid';
  } catch (err) {
    if (isNotFound(err)) return 'expiring';
    throw err;
  }
}

const locks = new Map<string, Promise<unknown>>();

/** Runs fn for one key at a time (two joins of one cluster must not upload under two different keys). */
export async function withClusterLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(fn);
  locks.set(key, run);
  try {
    return await run;
  } finally {
    if (locks.get(key) === run) locks.delete(key);
  }
}

/**
 * Makes sure kubeadm-certs can be downloaded with the returned certificate key for at least
 * KUBEADM_CERTS_MIN_REMAINING_MS. Returns the key and whether it uploaded.
 */
export async function ensureKubeadmCerts(opts: {
  lockKey: string;
  workload: Client;
  keys: CertificateKeyStore;
  pki: ClusterPKI;
  now?: Date;
}): Promise<{ certificateKey: string; uploaded: boolean }> {
  return withClusterLock(opts.lockKey, async () => {
    const now = opts.now ?? new Date();
    const current = await opts.keys.read();
    const state = await kubeadmCertsState(opts.workload, current, now);
    if (state === 'valid' && current) return { certificateKey: current, uploaded: false };
    // Missing or expiring under the key we hold: upload again under that same key. The init machine's own
    // upload-certs can land just after the cluster counts as initialised, encrypted with this key; a fresh key
    // here would race it and leave a joining member holding a key that no longer decrypts. Only a Secret
    // under a key we do not know (an operator's upload) or no key at all gets a fresh one.
    const key = current && state !== 'wrong-key' ? current : newCertificateKey();
    // Record the key first: a crash after the upload must not leave a Secret nobody can decrypt.
    if (key !== current) await opts.keys.write(key);
    await uploadCerts(opts.workload, opts.pki, key, now);
    return { certificateKey: key, uploaded: true };
  });
}

/**
 * kubeadm's upload-certs (bootstrap/copycerts.ts, the agent's own implementation): a proxy token for the TTL, the
 * encrypted Secret it owns, and read access for joiners.
 */
export async function uploadCerts(workload: Client, pki: ClusterPKI, certificateKey: string, now: Date): Promise<void> {
  await uploadKubeadmCerts({
    async createOwner(tokenSecret) {
      const created = await workload.create<KubeObject>(tokenSecret as unknown as KubeObject);
      return created.metadata.uid!;
    },
    apply: (obj) => createOrReplace(workload, obj as unknown as KubeObject),
  }, { files: clusterPKIFiles(pki), certificateKey, ttlSeconds: DEFAULT_CERT_TOKEN_TTL_SECONDS, now });
}

/** Create, or replace the existing object of the same name (kubeadm's CreateOrUpdate*). */
async function createOrReplace(c: Client, obj: KubeObject): Promise<void> {
  try {
    await c.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await c.get<KubeObject>({ apiVersion: obj.apiVersion!, kind: obj.kind! }, { namespace: obj.metadata.namespace, name: obj.metadata.name! });
    await c.update({ ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion } });
  }
}

/** A fresh join token Secret for the workload cluster (kubeadm's default node token groups and usages). */
export function joinTokenSecret(ttlSeconds: number, description: string, now = new Date()): { token: string; secret: KubeObject } {
  const token = newBootstrapToken();
  parseBootstrapToken(token);
  const secret = bootstrapTokenSecret(token, {
    ttlSeconds,
    description,
    usages: ['authentication', 'signing'],
    groups: [NODE_BOOTSTRAP_TOKEN_AUTH_GROUP],
    now,
  }) as unknown as KubeObject;
  return { token, secret };
}

export { bootstrapTokenSecretName };
