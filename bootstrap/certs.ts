/**
 * kubeadm's PKI (phases/certs): every certificate and key of a control-plane node, with kubeadm's names, subjects,
 * SANs and usages. Valid existing files are reused; an existing CA signs the rest; a CA certificate without its key
 * is external-CA mode, where everything that CA would sign must already be on disk.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type CertAndKey, type Usage, keyMatchesCert, newPrivateKeyAsync, newSelfSignedCA, publicKeyPem, signCert,
  verifyIssuedBy,
} from '../lib/pki.js';
import type { ClusterConfiguration } from './config/types.js';
import type { HostFS, Printer } from './context.js';
import { parseHostPort } from './config/load.js';
import { nthAddress } from './netutil.js';

export type CAName = 'ca' | 'front-proxy-ca' | 'etcd/ca';

const DAY_MS = 24 * 3_600_000;

export interface CertDef {
  /** The phase name, `certs/<name>`. */
  name: string;
  /** The file base name relative to the certificates dir (`etcd/server` → etcd/server.crt, etcd/server.key). */
  base: string;
  /** Signing CA; undefined for a CA itself. */
  ca?: CAName;
  commonName: string;
  organization?: string[];
  usages: Usage[];
  altNames?: string[];
  /** Only with local (stacked) etcd. */
  localEtcd?: boolean;
}

export interface NodeIdentity {
  nodeName: string;
  advertiseAddress: string;
}

/** The apiserver serving certificate's SANs, in kubeadm's order. */
export function apiServerAltNames(cfg: ClusterConfiguration, node: NodeIdentity): string[] {
  const names = [
    node.nodeName, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${cfg.networking.dnsDomain}`,
    nthAddress(cfg.networking.serviceSubnet, 1), node.advertiseAddress,
  ];
  if (cfg.controlPlaneEndpoint) names.push(parseHostPort(cfg.controlPlaneEndpoint, 'controlPlaneEndpoint').host);
  names.push(...cfg.apiServer.certSANs);
  return [...new Set(names)];
}

function etcdAltNames(node: NodeIdentity, extra: string[]): string[] {
  return [...new Set([node.nodeName, node.advertiseAddress, 'localhost', '127.0.0.1', '::1', ...extra])];
}

/** Every certificate kubeadm init generates, in its order. */
export function certDefinitions(cfg: ClusterConfiguration, node: NodeIdentity): CertDef[] {
  const local = cfg.etcd.local;
  return [
    { name: 'ca', base: 'ca', commonName: 'kubernetes', usages: [] },
    { name: 'apiserver', base: 'apiserver', ca: 'ca', commonName: 'kube-apiserver', usages: ['server'], altNames: apiServerAltNames(cfg, node) },
    { name: 'apiserver-kubelet-client', base: 'apiserver-kubelet-client', ca: 'ca', commonName: 'kube-apiserver-kubelet-client', organization: ['system:masters'], usages: ['client'] },
    { name: 'front-proxy-ca', base: 'front-proxy-ca', commonName: 'front-proxy-ca', usages: [] },
    { name: 'front-proxy-client', base: 'front-proxy-client', ca: 'front-proxy-ca', commonName: 'front-proxy-client', usages: ['client'] },
    { name: 'etcd-ca', base: 'etcd/ca', commonName: 'etcd-ca', usages: [], localEtcd: true },
    { name: 'etcd-server', base: 'etcd/server', ca: 'etcd/ca', commonName: node.nodeName, usages: ['server', 'client'], altNames: etcdAltNames(node, local?.serverCertSANs ?? []), localEtcd: true },
    { name: 'etcd-peer', base: 'etcd/peer', ca: 'etcd/ca', commonName: node.nodeName, usages: ['server', 'client'], altNames: etcdAltNames(node, local?.peerCertSANs ?? []), localEtcd: true },
    { name: 'etcd-healthcheck-client', base: 'etcd/healthcheck-client', ca: 'etcd/ca', commonName: 'kube-etcd-healthcheck-client', usages: ['client'], localEtcd: true },
    { name: 'apiserver-etcd-client', base: 'apiserver-etcd-client', ca: 'etcd/ca', commonName: 'kube-apiserver-etcd-client', usages: ['client'], localEtcd: true },
  ].filter((d) => !d.localEtcd || local !== undefined) as CertDef[];
}

/** SANs of a certificate as plain strings (DNS names and IP addresses). */
export function certAltNames(certPem: string): string[] {
  const san = new X509Certificate(certPem).subjectAltName ?? '';
  return san.split(', ').filter(Boolean).map((e) => e.replace(/^(DNS|IP Address):/, '')).map(normalizeIP);
}

function normalizeIP(s: string): string {
  if (isIP(s) !== 6) return s;
  // OpenSSL prints IPv6 SANs uncompressed; compare in compressed form
  return s.replace(/\b0+([0-9a-f])/gi, '$1').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export function commonNameOf(certPem: string): string {
  return /CN=([^\n,]+)/.exec(new X509Certificate(certPem).subject)?.[1] ?? '';
}

/** Why an existing pair does not satisfy def, or undefined when it does. */
export function checkExisting(def: CertDef, pair: CertAndKey, signer?: CertAndKey | { certPem: string }): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
  } catch {
    return 'is not a PEM certificate';
  }
  try {
    if (!keyMatchesCert(pair.keyPem, pair.certPem)) return 'does not match its private key';
  } catch {
    return 'has an unreadable private key';
  }
  if (new Date(cert.validTo) < new Date()) return `expired on ${cert.validTo}`;
  if (!def.ca) {
    if (!cert.ca) return 'is not a CA certificate';
    return undefined;
  }
  if (signer && !verifyIssuedBy(pair.certPem, signer.certPem)) return `is not signed by the ${def.ca} certificate authority`;
  if (commonNameOf(pair.certPem) !== def.commonName) return `has CN "${commonNameOf(pair.certPem)}", want "${def.commonName}"`;
  const have = new Set(certAltNames(pair.certPem));
  const missing = (def.altNames ?? []).filter((n) => !have.has(normalizeIP(n)));
  if (missing.length > 0) return `lacks the subject alternative names ${missing.join(', ')}`;
  return undefined;
}

export interface CertsPhaseInput {
  fs: HostFS;
  out: Printer;
  cfg: ClusterConfiguration;
  node: NodeIdentity;
  /** Only these phase names (certs/<name>); all when undefined. */
  only?: string[];
}

const crtPath = (dir: string, base: string): string => `${dir}/${base}.crt`;
const keyPath = (dir: string, base: string): string => `${dir}/${base}.key`;

function readPair(fs: HostFS, dir: string, base: string): { certPem?: string; keyPem?: string } {
  return { certPem: fs.readIfExists(crtPath(dir, base)), keyPem: fs.readIfExists(keyPath(dir, base)) };
}

/** True when the CA's certificate is present but its key is not: kubeadm's external-CA mode. */
export function isExternalCA(fs: HostFS, dir: string, ca: CAName): boolean {
  return fs.exists(crtPath(dir, ca)) && !fs.exists(keyPath(dir, ca));
}

/** Generates (or validates and reuses) the certificates of defs, in order. */
export async function runCertPhase(input: CertsPhaseInput, def: CertDef): Promise<void> {
  const { fs, out, cfg } = input;
  const dir = cfg.certificatesDir;
  const existing = readPair(fs, dir, def.base);
  if (!def.ca) {
    if (existing.certPem && !existing.keyPem) {
      const why = checkCACert(existing.certPem);
      if (why) throw new Error(`certs: existing ${def.name} certificate ${why}`);
      out.phase('certs', `Using existing ${def.name} certificate authority (external CA mode: no ${def.base}.key)`);
      return;
    }
    if (existing.certPem && existing.keyPem) {
      const why = checkExisting(def, existing as CertAndKey);
      if (why) throw new Error(`certs: existing ${def.name} certificate authority ${why}; remove ${crtPath(dir, def.base)} and ${keyPath(dir, def.base)} to regenerate`);
      out.phase('certs', `Using existing ${def.name} certificate authority`);
      return;
    }
    out.phase('certs', `Generating "${def.name}" certificate and key`);
    const ca = newSelfSignedCA(def.commonName, { keyPem: await newPrivateKeyAsync(cfg.encryptionAlgorithm), validityDays: cfg.caCertificateValidityPeriodMs / DAY_MS });
    writePair(fs, dir, def.base, ca);
    return;
  }
  const signer = readPair(fs, dir, def.ca);
  if (!signer.certPem) throw new Error(`certs: cannot ${existing.certPem ? 'check' : 'generate'} ${def.name}: the ${def.ca} certificate ${crtPath(dir, def.ca)} is missing`);
  if (existing.certPem && existing.keyPem) {
    const why = checkExisting(def, existing as CertAndKey, { certPem: signer.certPem });
    if (why) throw new Error(`certs: existing ${def.name} certificate ${why}; remove ${crtPath(dir, def.base)} and ${keyPath(dir, def.base)} to regenerate`);
    out.phase('certs', `Using existing ${def.name} certificate and key on disk`);
    return;
  }
  if (!signer.keyPem) {
    throw new Error(`certs: external CA mode for ${def.ca} (${keyPath(dir, def.ca)} is absent): ${def.name} cannot be generated, so ${crtPath(dir, def.base)} and ${keyPath(dir, def.base)} must be provided`);
  }
  out.phase('certs', `Generating "${def.name}" certificate and key`);
  if (def.altNames && def.altNames.length > 0) {
    const dns = def.altNames.filter((n) => !isIP(n));
    const ips = def.altNames.filter((n) => isIP(n));
    out.phase('certs', `${def.name.replace('etcd-', 'etcd/')} serving cert is signed for DNS names [${dns.join(' ')}] and IPs [${ips.join(' ')}]`);
  }
  const pair = signCert(
    { commonName: def.commonName, organization: def.organization, altNames: def.altNames, usages: def.usages, validityDays: cfg.certificateValidityPeriodMs / DAY_MS },
    { certPem: signer.certPem, keyPem: signer.keyPem },
    await newPrivateKeyAsync(cfg.encryptionAlgorithm),
  );
  writePair(fs, dir, def.base, pair);
}

/** For a key-less (external) CA only the certificate itself can be checked. */
function checkCACert(certPem: string): string | undefined {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.ca) return 'is not a CA certificate';
    if (new Date(cert.validTo) < new Date()) return `expired on ${cert.validTo}`;
    return undefined;
  } catch {
    return 'is not a PEM certificate';
  }
}

export function writePair(fs: HostFS, dir: string, base: string, pair: CertAndKey): void {
  fs.write(keyPath(dir, base), pair.keyPem, 0o600);
  fs.write(crtPath(dir, base), pair.certPem, 0o644);
}

/** The service-account signing key pair: sa.key (PKCS#1) and sa.pub (PKIX). */
export async function runSAPhase(input: CertsPhaseInput): Promise<void> {
  const { fs, out, cfg } = input;
  const dir = cfg.certificatesDir;
  const key = fs.readIfExists(`${dir}/sa.key`);
  if (key) {
    const pub = publicKeyPem(key);
    const existingPub = fs.readIfExists(`${dir}/sa.pub`);
    if (existingPub && existingPub.trim() !== pub.trim()) throw new Error(`certs: ${dir}/sa.pub does not match ${dir}/sa.key`);
    if (!existingPub) fs.write(`${dir}/sa.pub`, pub, 0o644);
    out.phase('certs', 'Using the existing "sa" key');
    return;
  }
  out.phase('certs', 'Generating "sa" key and public key');
  const keyPem = await newPrivateKeyAsync(cfg.encryptionAlgorithm);
  fs.write(`${dir}/sa.key`, keyPem, 0o600);
  fs.write(`${dir}/sa.pub`, publicKeyPem(keyPem), 0o644);
}

