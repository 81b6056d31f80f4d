/**
 * kubeadm's certificate copy (phases/copycerts): the shared CAs and service-account key pair, each encrypted with
 * AES-256-GCM under the certificate key, stored as the kube-system/kubeadm-certs Secret. One implementation of the
 * upload, for the agent's upload-certs phase and for the management side that keeps the Secret usable for later joins.
 *
 * Byte layout, as cmd/kubeadm/app/util/crypto: 12-byte random nonce || ciphertext || 16-byte GCM tag, no associated
 * data. The Secret's data keys are the file names relative to the certificates dir with "/" turned into "-".
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CERTIFICATE_KEY_SIZE, KUBEADM_CERTS_SECRET } from './constants.js';
import type { KubeObject } from './api/client.js';
import { kubeadmCertsRBAC } from './api/objects.js';
import { bootstrapTokenSecret, newBootstrapToken, type SecretObject } from './tokens.js';

const NONCE_SIZE = 12;
const TAG_SIZE = 16;

/** Files (relative to the certificates dir) a joining control plane needs, with local etcd. */
export const SHARED_CERT_FILES = ['ca.crt', 'ca.key', 'sa.key', 'sa.pub', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'etcd/ca.crt', 'etcd/ca.key'] as const;

export const secretKeyForFile = (file: string): string => file.replaceAll('/', '-');

/** 32 random bytes, hex encoded: the `--certificate-key`. */
export function newCertificateKey(): string {
  return randomBytes(CERTIFICATE_KEY_SIZE).toString('hex');
}

/** Decodes a certificate key; the message never includes the key itself. */
export function decodeCertificateKey(hexKey: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(hexKey)) throw new Error('certificate key: must be 64 hexadecimal characters (32 bytes for AES-256)');
  return Buffer.from(hexKey, 'hex');
}

export function encryptBytes(data: Buffer, key: Buffer): Buffer {
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

export function decryptBytes(data: Buffer, key: Buffer): Buffer {
  if (data.length < NONCE_SIZE + TAG_SIZE) throw new Error('size of data is less than the nonce and tag');
  const nonce = data.subarray(0, NONCE_SIZE);
  const tag = data.subarray(data.length - TAG_SIZE);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data.subarray(NONCE_SIZE, data.length - TAG_SIZE)), decipher.final()]);
}

/** file name → contents  ⇒  Secret data key → base64(nonce||ciphertext||tag). */
export function encryptCerts(files: Record<string, string | Buffer>, certificateKey: string): Record<string, string> {
  const key = decodeCertificateKey(certificateKey);
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    out[secretKeyForFile(name)] = encryptBytes(Buffer.from(content), key).toString('base64');
  }
  return out;
}

export class CertificateKeyMismatchError extends Error {}

/**
 * Secret data (base64 values) → Secret data key → plaintext. All or nothing: one entry that fails authentication
 * means the wrong key, and nothing is returned.
 */
export function decryptCerts(data: Record<string, string>, certificateKey: string): Record<string, Buffer> {
  const key = decodeCertificateKey(certificateKey);
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(data)) {
    const raw = Buffer.from(value, 'base64');
    if (raw.length === 0) {
      out[name] = raw;
      continue;
    }
    try {
      out[name] = decryptBytes(raw, key);
    } catch {
      throw new CertificateKeyMismatchError(
        `cannot decrypt "${name}" of the kubeadm-certs Secret: the certificate key does not match the one the certificates were uploaded with`);
    }
  }
  return out;
}

/**
 * The kubeadm-certs Secret: files (name relative to the certificates dir → content) encrypted under the certificate
 * key, owned by the proxy token's Secret so that it goes when the token expires. A file given as '' is one kubeadm
 * found missing (an external CA's key): it is stored as an empty value, not encrypted.
 */
export function kubeadmCertsSecret(files: Record<string, string>, certificateKey: string, owner: { name: string; uid: string }): SecretObject {
  const data = encryptCerts(Object.fromEntries(Object.entries(files).filter(([, v]) => v !== '')), certificateKey);
  for (const [f, v] of Object.entries(files)) if (v === '') data[secretKeyForFile(f)] = '';
  return {
    kind: 'Secret', apiVersion: 'v1', type: 'Opaque',
    metadata: {
      name: KUBEADM_CERTS_SECRET, namespace: 'kube-system',
      ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }],
    },
    data,
  };
}

/** Where the upload writes: the agent's admin.conf client (or its dry-run printer), or the management side's client. */
export interface CertsUploadTarget {
  /** Creates the proxy token's Secret and returns its uid, which kubeadm-certs names as its owner. */
  createOwner(tokenSecret: SecretObject): Promise<string>;
  /** Create, or replace the existing object of the same name (kubeadm's CreateOrUpdate*). */
  apply(obj: KubeObject): Promise<void>;
}

export interface UploadCertsOptions {
  /** The shared files, as kubeadmCertsSecret takes them. */
  files: Record<string, string>;
  certificateKey: string;
  /** The proxy token's TTL: how long kubeadm-certs lives. */
  ttlSeconds: number;
  now?: Date;
}

/**
 * kubeadm's copycerts.UploadCerts: a proxy bootstrap token (no usages, no groups) whose expiry bounds the Secret's
 * life, kubeadm-certs owned by it, and the Role and RoleBinding that let joining nodes' bootstrap tokens read it.
 */
export async function uploadCerts(target: CertsUploadTarget, opts: UploadCertsOptions): Promise<void> {
  const tokenSecret = bootstrapTokenSecret(newBootstrapToken(), {
    description: 'Proxy for managing TTL for the kubeadm-certs secret', ttlSeconds: opts.ttlSeconds, usages: [], groups: [],
    ...(opts.now ? { now: opts.now } : {}),
  });
  const uid = await target.createOwner(tokenSecret);
  await target.apply(kubeadmCertsSecret(opts.files, opts.certificateKey, { name: tokenSecret.metadata.name, uid }));
  for (const o of kubeadmCertsRBAC()) await target.apply(o);
}
